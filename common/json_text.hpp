#pragma once
// JSON as text, for files and the console, that never throws on bytes that
// are not UTF-8. nlohmann's dump() throws type_error.316 on them, and they
// come from outside: a Latin-1 folder name, an index name in an integrity
// row. Such bytes become U+FFFD in the text; the real paths stay in the
// fs::path values the file operations use. Pure; header-only.

#include <nlohmann/json.hpp>
#include <string>

namespace es {

// `indent` as in nlohmann::json::dump: -1 for one line.
inline std::string json_text(const nlohmann::json& value, int indent = -1) {
  return value.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace es
