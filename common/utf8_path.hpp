#pragma once
// Paths are UTF-8 inside. On Windows, std::filesystem::path built from a
// plain std::string decodes it with the C runtime's code page, not UTF-8 (and
// path::string() encodes UTF-8), so a non-ASCII path would not survive the
// round trip. Every path that starts as text (the command line, the config
// file, the history) is made with utf8_path(); suffixes go on with
// with_suffix(). Pure; portable.

#include <filesystem>
#include <string_view>

namespace es {

inline std::filesystem::path utf8_path(std::string_view utf8) {
  return std::filesystem::path(
      std::u8string(reinterpret_cast<const char8_t*>(utf8.data()), utf8.size()));
}

// "live.db" + "-wal" -> "live.db-wal", without a trip through narrow text.
inline std::filesystem::path with_suffix(std::filesystem::path path, std::string_view suffix) {
  path += utf8_path(suffix).native();
  return path;
}

}  // namespace es
