#pragma once
// A file opened for appending and written with no user-space buffer: each
// append() hands its bytes to the OS (write(2), WriteFile) before it returns,
// so what was appended survives the process being killed. It does not sync:
// a power cut may still take the last lines (the OS's page cache). The
// session log is one (common/session_log_sink.hpp).
//
// Move-only; closes the file once. Not thread-safe: the owner serializes
// appends. One implementation per OS (append_file_posix.cpp,
// append_file_windows.cpp).

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string_view>
#include <utility>

#include "common/result.hpp"

namespace es {

class AppendFile {
 public:
  // Opens `file` for appending, creating it if need be (mode 0600, given
  // to the DB's owner: file_owner.hpp). Never truncates; the descriptor is not inherited
  // by child processes. An Error names the path and the OS error.
  [[nodiscard]] static Result<AppendFile> open(const std::filesystem::path& file);

  AppendFile(AppendFile&& other) noexcept
      : path_(std::move(other.path_)), handle_(std::exchange(other.handle_, -1)) {}
  AppendFile& operator=(AppendFile&& other) noexcept {
    if (this != &other) {
      close();
      path_ = std::move(other.path_);
      handle_ = std::exchange(other.handle_, -1);
    }
    return *this;
  }
  AppendFile(const AppendFile&) = delete;
  AppendFile& operator=(const AppendFile&) = delete;
  ~AppendFile() { close(); }

  struct Appended {
    std::size_t bytes = 0;       // how much of the text reached the file: a prefix of it
    std::optional<Error> error;  // set when not all of it did
  };

  // Writes all of `text` at the file's end, going on after a short write and
  // an interrupted call. On failure (a full disk: ENOSPC, ERROR_DISK_FULL; an
  // I/O error) the Error names the path, the bytes written of the bytes
  // asked, and the OS error; `bytes` says how much is in the file.
  [[nodiscard]] Appended append(std::string_view text);

  const std::filesystem::path& path() const { return path_; }

  // Closes the file before a rename of it (Windows renames no open file).
  void close_now() { close(); }

 private:
  AppendFile(std::filesystem::path path, std::intptr_t handle)
      : path_(std::move(path)), handle_(handle) {}
  void close();  // once; -1 afterwards

  std::filesystem::path path_;
  std::intptr_t handle_ = -1;  // a descriptor (POSIX) or a HANDLE (Windows); -1: none
};

}  // namespace es
