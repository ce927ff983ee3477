#include <sys/stat.h>

#include <cerrno>

#include "common/file_identity.hpp"
#include "common/fs_ops.hpp"

namespace es {
namespace fs = std::filesystem;

namespace {

std::int64_t nanoseconds(const timespec& time) {
  return static_cast<std::int64_t>(time.tv_sec) * 1'000'000'000 + time.tv_nsec;
}

}  // namespace

Result<std::optional<FileStamp>> stamp_file(const fs::path& file) {
  struct stat info {};
  // stat, not lstat: SQLite opens the DB through a link, so the file it
  // writes is the one the link names.
  if (::stat(file.c_str(), &info) != 0) {
    const int error = errno;
    if (error == ENOENT) return std::optional<FileStamp>{};
    return Error{ExitCode::kIoError, "stat of " + file.string() + " failed: " + os_error_text(error)};
  }
  FileStamp stamp;
  stamp.identity = {static_cast<std::uint64_t>(info.st_dev), static_cast<std::uint64_t>(info.st_ino)};
  stamp.size = static_cast<std::uint64_t>(info.st_size);
  stamp.modified_ns = nanoseconds(info.st_mtim);
  stamp.changed_ns = nanoseconds(info.st_ctim);
  return std::optional<FileStamp>{stamp};
}

}  // namespace es
