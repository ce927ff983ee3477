#include <optional>
#include <string>

#include "common/real_path.hpp"
#include "common/win32_text.hpp"

namespace es {
namespace fs = std::filesystem;

namespace {

// The final name of what `path` opens, with every symlink and junction on the
// way resolved. No access right and every share mode: nothing that has the
// file open is disturbed; backup semantics: a folder opens too.
std::optional<fs::path> final_name(const fs::path& path) {
  WinHandle handle(CreateFileW(path.wstring().c_str(), 0,
                               FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr,
                               OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS, nullptr));
  if (!handle.valid()) return std::nullopt;
  std::wstring name(MAX_PATH, L'\0');
  for (;;) {
    const DWORD length = GetFinalPathNameByHandleW(handle.get(), name.data(),
                                                   static_cast<DWORD>(name.size()),
                                                   FILE_NAME_NORMALIZED | VOLUME_NAME_DOS);
    if (length == 0) return std::nullopt;
    if (length < name.size()) {
      name.resize(length);
      break;
    }
    name.resize(length + 1);
  }
  // The \\?\ form is for the API; the name people read has none.
  if (name.rfind(L"\\\\?\\UNC\\", 0) == 0) {
    name = L"\\\\" + name.substr(8);
  } else if (name.rfind(L"\\\\?\\", 0) == 0) {
    name = name.substr(4);
  }
  return fs::path(name);
}

// Case-insensitive, as Windows names are: a name that resolved to itself
// keeps the spelling it was configured with.
bool same_name(const fs::path& a, const fs::path& b) {
  return CompareStringOrdinal(a.wstring().c_str(), -1, b.wstring().c_str(), -1, TRUE) == CSTR_EQUAL;
}

fs::path keep_spelling(const fs::path& path, const fs::path& real) {
  return same_name(path, real) ? path : real;
}

}  // namespace

fs::path real_path(const fs::path& path) {
  const DWORD attributes = GetFileAttributesW(path.wstring().c_str());
  if (attributes == INVALID_FILE_ATTRIBUTES) {
    if (GetLastError() != ERROR_FILE_NOT_FOUND) return path;
    const auto folder = final_name(path.parent_path());
    return folder ? keep_spelling(path, *folder / path.filename()) : path;
  }
  if ((attributes & FILE_ATTRIBUTE_DIRECTORY) != 0) return path;
  const auto real = final_name(path);
  return real ? keep_spelling(path, *real) : path;
}

}  // namespace es
