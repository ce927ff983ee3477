#include "common/console.hpp"
#include "common/console_write.hpp"
#include "common/win32_text.hpp"

namespace es {

void write_to_stream(int fd, std::string_view text) {
  HANDLE handle = GetStdHandle(fd == 2 ? STD_ERROR_HANDLE : STD_OUTPUT_HANDLE);
  if (handle == nullptr || handle == INVALID_HANDLE_VALUE) return;
  DWORD mode = 0;
  if (GetConsoleMode(handle, &mode)) {
    // A real console: write UTF-16, so non-ASCII paths show right whatever
    // the console's code page.
    const auto wide = to_wide(text);
    DWORD written = 0;
    WriteConsoleW(handle, wide.data(), static_cast<DWORD>(wide.size()), &written, nullptr);
    return;
  }
  while (!text.empty()) {
    DWORD written = 0;
    if (!WriteFile(handle, text.data(), static_cast<DWORD>(text.size()), &written, nullptr) ||
        written == 0) {
      return;  // a closed pipe: the log file has every line
    }
    text.remove_prefix(written);
  }
}

// Windows has no SIGPIPE: a write to a closed pipe fails, and
// write_to_stream drops the text.
void survive_console_loss() {}

}  // namespace es
