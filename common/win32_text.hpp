#pragma once
// Windows only: UTF-8 inside, UTF-16 at the Win32 boundary, and Win32 error
// text for messages. Included by the *_windows.cpp files alone.

#include <windows.h>

#include <string>
#include <string_view>

namespace es {

std::wstring to_wide(std::string_view utf8);
std::string to_utf8(std::wstring_view wide);

// "Access is denied. (Win32 error 5)"
std::string win32_error_text(DWORD error);

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
