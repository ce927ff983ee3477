#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "common/append_file.hpp"
#include "common/file_owner.hpp"
#include "common/fs_ops.hpp"

namespace es {
namespace fs = std::filesystem;

Result<AppendFile> AppendFile::open(const fs::path& file) {
  // O_APPEND: every write lands at the end, even with another writer (a
  // second supervisor on the same logging folder). O_CLOEXEC: the engine
  // must not inherit the log.
  // 0600 under any umask: a log holds the engine's whole output.
  const int fd = ::open(file.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    return Error{ExitCode::kIoError,
                 "open for appending of " + file.string() + " failed: " + os_error_text(errno)};
  }
  hand_over(file);
  return AppendFile(file, fd);
}

AppendFile::Appended AppendFile::append(std::string_view text) {
  Appended appended;
  const auto asked = text.size();
  while (!text.empty()) {
    const auto written = ::write(static_cast<int>(handle_), text.data(), text.size());
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) {
      // A full disk shows as a short write, then ENOSPC on the rest. A write
      // of 0 bytes would loop for ever; say so rather than spin.
      const auto cause = written < 0 ? os_error_text(errno) : std::string("wrote nothing");
      appended.error = Error{ExitCode::kIoError, "append to " + path_.string() + " failed after " +
                                                     std::to_string(appended.bytes) + " of " +
                                                     std::to_string(asked) + " bytes: " + cause};
      return appended;
    }
    appended.bytes += static_cast<std::size_t>(written);
    text.remove_prefix(static_cast<std::size_t>(written));
  }
  return appended;
}

void AppendFile::close() {
  if (handle_ >= 0) ::close(static_cast<int>(handle_));
  handle_ = -1;
}

}  // namespace es
