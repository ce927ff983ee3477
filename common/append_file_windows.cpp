#include <algorithm>

#include "common/append_file.hpp"
#include "common/win32_text.hpp"

namespace es {
namespace fs = std::filesystem;

namespace {
HANDLE as_handle(std::intptr_t handle) { return reinterpret_cast<HANDLE>(handle); }
}  // namespace

Result<AppendFile> AppendFile::open(const fs::path& file) {
  // FILE_APPEND_DATA alone: every write lands at the end. The share flags
  // let an operator read, rename or delete the log while we write it; the
  // handle is not inheritable (no SECURITY_ATTRIBUTES), so the engine never
  // holds it.
  HANDLE handle = CreateFileW(file.wstring().c_str(), FILE_APPEND_DATA,
                              FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr,
                              OPEN_ALWAYS, FILE_ATTRIBUTE_NORMAL, nullptr);
  if (handle == INVALID_HANDLE_VALUE) {
    return Error{ExitCode::kIoError, "open for appending of " + file.string() +
                                         " failed: " + win32_error_text(GetLastError())};
  }
  return AppendFile(file, reinterpret_cast<std::intptr_t>(handle));
}

AppendFile::Appended AppendFile::append(std::string_view text) {
  Appended appended;
  const auto asked = text.size();
  while (!text.empty()) {
    // WriteFile takes a DWORD: a text over 4 GiB goes in pieces.
    const auto piece = static_cast<DWORD>(std::min<std::size_t>(text.size(), 1u << 30));
    DWORD written = 0;
    const bool ok = WriteFile(as_handle(handle_), text.data(), piece, &written, nullptr);
    if (!ok || written == 0) {
      const auto cause = ok ? std::string("wrote nothing") : win32_error_text(GetLastError());
      appended.error = Error{ExitCode::kIoError, "append to " + path_.string() + " failed after " +
                                                     std::to_string(appended.bytes) + " of " +
                                                     std::to_string(asked) + " bytes: " + cause};
      return appended;
    }
    appended.bytes += written;
    text.remove_prefix(written);
  }
  return appended;
}

void AppendFile::close() {
  if (handle_ != -1) CloseHandle(as_handle(handle_));
  handle_ = -1;
}

}  // namespace es
