#pragma once
// Windows only: UTF-8 inside, UTF-16 at the Win32 boundary, and Win32 error
// text for messages. Included by the *_windows.cpp files alone.

#include <windows.h>

#include <string>
#include <string_view>
#include <vector>

namespace es {

std::wstring to_wide(std::string_view utf8);
std::string to_utf8(std::wstring_view wide);

// "Access is denied. (Win32 error 5)"
std::string win32_error_text(DWORD error);

// A CreateProcessW command line from UTF-8 arguments, each quoted the way
// CommandLineToArgvW and the C runtime read it back.
std::wstring command_line(const std::vector<std::string>& argv);
// One argument, quoted so.
std::wstring quote_argument(const std::wstring& arg);

// Owns a HANDLE; closes it once.
class WinHandle {
 public:
  WinHandle() = default;
  explicit WinHandle(HANDLE handle) : handle_(handle) {}
  WinHandle(WinHandle&& other) noexcept : handle_(other.release()) {}
  WinHandle& operator=(WinHandle&& other) noexcept {
    if (this != &other) {
      reset();
      handle_ = other.release();
    }
    return *this;
  }
  WinHandle(const WinHandle&) = delete;
  ~WinHandle() { reset(); }
  HANDLE get() const { return handle_; }
  bool valid() const { return handle_ != nullptr && handle_ != INVALID_HANDLE_VALUE; }
  HANDLE release() {
    HANDLE handle = handle_;
    handle_ = nullptr;
    return handle;
  }
  void reset() {
    if (valid()) CloseHandle(handle_);
    handle_ = nullptr;
  }

 private:
  HANDLE handle_ = nullptr;
};

}  // namespace es
