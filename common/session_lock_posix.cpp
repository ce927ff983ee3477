#include <fcntl.h>
#include <pwd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "common/file_owner.hpp"
#include "common/fs_ops.hpp"
#include "common/session_lock.hpp"

namespace es {
namespace fs = std::filesystem;

struct SessionLock::Handle {
  int fd = -1;
  fs::path path;
  ~Handle() {
    // Closing the descriptor releases the flock.
    if (fd >= 0) ::close(fd);
  }
};

namespace {

std::string read_all(int fd) {
  std::string text;
  char buffer[4096];
  off_t offset = 0;
  for (;;) {
    const auto got = ::pread(fd, buffer, sizeof buffer, offset);
    if (got <= 0) break;
    text.append(buffer, static_cast<std::size_t>(got));
    offset += got;
  }
  return text;
}

// The usual cause of a refused lock file: another account ran first (a
// systemd unit as root, the desktop launcher as the operator) and made it
// 0600 for itself. Names that account and the way out.
std::string whose(const fs::path& path) {
  struct stat status {};
  if (::stat(path.c_str(), &status) != 0 || status.st_uid == ::geteuid()) return {};
  const passwd* owner = ::getpwuid(status.st_uid);
  const std::string name = owner ? std::string(owner->pw_name) : "uid " + std::to_string(status.st_uid);
  return ". It belongs to " + name + " (the account that ran a supervisor on this DB first): " +
         "run this one as " + name + ", or give the supervisor's files beside the DB (" +
         path.filename().string() + ", the history) to the account that runs it (chown)";
}

}  // namespace

Result<SessionLock> SessionLock::lock_file(const fs::path& db_path) {
  auto handle = std::make_unique<Handle>();
  handle->path = path_for(db_path);
  if (auto missing = session_lock_detail::missing_db_folder(db_path)) return *missing;
  // O_CLOEXEC: the engine must not inherit the lock and keep it after we die.
  handle->fd = ::open(handle->path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (handle->fd < 0) {
    const int error = errno;
    return Error{ExitCode::kIoError, "open of lock file " + handle->path.string() + " failed: " +
                                         os_error_text(error) +
                                         (error == EACCES ? whose(handle->path) : "")};
  }
  if (::flock(handle->fd, LOCK_EX | LOCK_NB) != 0) {
    const int error = errno;
    if (error != EWOULDBLOCK) {
      return Error{ExitCode::kIoError,
                   "lock of " + handle->path.string() + " failed: " + os_error_text(error)};
    }
    return session_lock_detail::held_elsewhere(db_path, handle->path, read_all(handle->fd));
  }
  hand_over(handle->path);
  auto previous = parse_lock_holder(read_all(handle->fd));
  return SessionLock(std::move(handle), std::move(previous));
}

SessionLock::SessionLock(std::unique_ptr<Handle> handle, std::optional<LockHolder> previous)
    : handle_(std::move(handle)), previous_(std::move(previous)) {}

SessionLock::SessionLock(SessionLock&& other) noexcept = default;
SessionLock::~SessionLock() = default;

Result<void> SessionLock::record(const LockHolder& holder) {
  const auto text = record_text(holder);
  // Rewrite in place: the content is tiny and a torn record only costs the
  // next start one heartbeat of precision.
  if (::ftruncate(handle_->fd, 0) != 0 ||
      ::pwrite(handle_->fd, text.data(), text.size(), 0) != static_cast<ssize_t>(text.size()) ||
      ::fdatasync(handle_->fd) != 0) {
    return Error{ExitCode::kIoError,
                 "write of lock file " + handle_->path.string() + " failed: " + os_error_text(errno)};
  }
  return {};
}

}  // namespace es
