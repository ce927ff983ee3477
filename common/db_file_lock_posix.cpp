#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>

#include "common/db_file_lock.hpp"
#include "common/fs_ops.hpp"

namespace es {
namespace fs = std::filesystem;

namespace {

constexpr off_t kLockOffset = static_cast<off_t>(std::int64_t{1} << 62);

Error io_error(const std::string& operation, const fs::path& db, int error) {
  return Error{ExitCode::kIoError, operation + " " + db.string() + " failed: " + os_error_text(error)};
}

}  // namespace

struct DbFileLock::Handle {
  int fd = -1;
  ~Handle() {
    // Closing our one descriptor of this open file description drops the lock.
    if (fd >= 0) ::close(fd);
  }
};

Result<std::optional<DbFileLock>> DbFileLock::acquire(const fs::path& db) {
  struct stat info {};
  if (::stat(db.c_str(), &info) != 0 || !S_ISREG(info.st_mode)) {
    return std::optional<DbFileLock>{};
  }
  auto handle = std::make_unique<Handle>();
  // O_CLOEXEC: an inherited descriptor would hold the lock in the engine.
  // O_NONBLOCK: should the name turn into a FIFO between the stat and here,
  // the open does not hang.
  const int flags = O_CLOEXEC | O_NONBLOCK | O_NOCTTY;
  short type = F_WRLCK;
  handle->fd = ::open(db.c_str(), O_RDWR | flags);
  if (handle->fd < 0 && (errno == EACCES || errno == EROFS || errno == EPERM)) {
    // A write lock needs a descriptor open for writing. A read lock still
    // conflicts with any other supervisor's write lock.
    type = F_RDLCK;
    handle->fd = ::open(db.c_str(), O_RDONLY | flags);
  }
  if (handle->fd < 0) {
    const int error = errno;
    if (error == ENOENT) return std::optional<DbFileLock>{};  // moved away meanwhile
    return io_error("open (to lock the file itself) of", db, error);
  }
  if (::fstat(handle->fd, &info) != 0 || !S_ISREG(info.st_mode)) {
    return std::optional<DbFileLock>{};
  }
  struct flock region {};
  region.l_type = type;
  region.l_whence = SEEK_SET;
  region.l_start = kLockOffset;
  region.l_len = 1;
  // l_pid must be 0 for an open file description lock.
  if (::fcntl(handle->fd, F_OFD_SETLK, &region) != 0) {
    const int error = errno;
    if (error == EAGAIN || error == EACCES) {
      return db_file_lock_detail::held_elsewhere(db);
    }
    return io_error("lock (F_OFD_SETLK) of", db, error);
  }
  return std::optional<DbFileLock>{DbFileLock(std::move(handle))};
}

DbFileLock::DbFileLock(std::unique_ptr<Handle> handle) : handle_(std::move(handle)) {}
DbFileLock::DbFileLock(DbFileLock&& other) noexcept = default;
DbFileLock& DbFileLock::operator=(DbFileLock&& other) noexcept = default;
DbFileLock::~DbFileLock() = default;

}  // namespace es
