#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/file_owner.hpp"
#include "common/fs_ops.hpp"

namespace es {
namespace fs = std::filesystem;

namespace {

Error os_error(std::string_view operation, const fs::path& path, int error_number) {
  return Error{ExitCode::kIoError, std::string(operation) + " " + path.string() +
                                       " failed: " + os_error_text(error_number)};
}

// Closes the descriptor on every path out of a function.
class Descriptor {
 public:
  explicit Descriptor(int fd) : fd_(fd) {}
  Descriptor(const Descriptor&) = delete;
  Descriptor& operator=(const Descriptor&) = delete;
  ~Descriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

}  // namespace

std::string os_error_text(int error_number) {
  return std::string(std::strerror(error_number)) + " (errno " + std::to_string(error_number) + ")";
}

Result<void> sync_file(const fs::path& file) {
  Descriptor fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return os_error("open for fsync of", file, errno);
  if (::fsync(fd.get()) != 0) return os_error("fsync of", file, errno);
  return {};
}

Result<void> sync_folder(const fs::path& folder) {
  Descriptor fd(::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) return os_error("open for fsync of folder", folder, errno);
  if (::fsync(fd.get()) != 0) return os_error("fsync of folder", folder, errno);
  return {};
}

Result<void> create_private_file(const fs::path& file) {
  // O_EXCL with O_NOFOLLOW: a symlink planted under this name makes us fail
  // instead of writing through it to someone else's file.
  Descriptor fd(::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (fd.get() < 0) return os_error("create", file, errno);
  hand_over(file);
  return {};
}

Result<void> create_private_folder(const fs::path& folder) {
  std::error_code ec;
  if (fs::is_directory(folder, ec)) return {};
  if (folder.has_parent_path() && folder.parent_path() != folder) {
    fs::create_directories(folder.parent_path(), ec);
  }
  // mkdir's mode is masked by the umask; 0700 under any umask that keeps
  // the owner's bits, and the chmod makes sure.
  if (::mkdir(folder.c_str(), 0700) != 0) {
    if (errno == EEXIST && fs::is_directory(folder, ec)) return {};
    return os_error("create of folder", folder, errno);
  }
  if (::chmod(folder.c_str(), 0700) != 0) return os_error("chmod of folder", folder, errno);
  hand_over(folder);
  return {};
}

Result<bool> rename_if_free(const fs::path& from, const fs::path& to) {
  // link() refuses an existing target, which rename() would silently replace.
  if (::link(from.c_str(), to.c_str()) != 0) {
    if (errno == EEXIST) return false;
    return Error{ExitCode::kIoError, "rename of " + from.string() + " to " + to.string() +
                                         " failed: " + os_error_text(errno)};
  }
  if (::unlink(from.c_str()) != 0) return os_error("remove of temporary", from, errno);
  return true;
}

Result<bool> remove_file(const fs::path& file) {
  // unlink(2), unlike remove(3), refuses a folder.
  if (::unlink(file.c_str()) == 0) return true;
  if (errno == ENOENT) return false;
  return os_error("delete of", file, errno);
}

Result<void> rename_replace(const fs::path& from, const fs::path& to) {
  if (::rename(from.c_str(), to.c_str()) != 0) {
    return Error{ExitCode::kIoError, "rename of " + from.string() + " to " + to.string() +
                                         " failed: " + os_error_text(errno)};
  }
  return {};
}

Result<std::uintmax_t> available_space(const fs::path& folder) {
  struct statvfs info {};
  if (::statvfs(folder.c_str(), &info) != 0) return os_error("statvfs of", folder, errno);
  return static_cast<std::uintmax_t>(info.f_bavail) * info.f_frsize;
}

Result<unsigned> permissions_of_others(const fs::path& file) {
  struct stat info {};
  if (::stat(file.c_str(), &info) != 0) return os_error("stat of", file, errno);
  return static_cast<unsigned>(info.st_mode & 077);
}

Result<void> make_read_only(const fs::path& file) {
  struct stat info {};
  if (::stat(file.c_str(), &info) != 0) return os_error("stat of", file, errno);
  if (::chmod(file.c_str(), info.st_mode & ~(S_IWUSR | S_IWGRP | S_IWOTH)) != 0) {
    return os_error("chmod of", file, errno);
  }
  return {};
}

Result<void> append_line_durably(const fs::path& file, std::string_view line) {
  Descriptor fd(::open(file.c_str(), O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (fd.get() < 0) return os_error("open for append of", file, errno);
  struct stat info {};
  if (::fstat(fd.get(), &info) != 0) return os_error("stat of", file, errno);
  std::string text;
  if (info.st_size > 0) {
    char last = '\n';
    if (::pread(fd.get(), &last, 1, info.st_size - 1) == 1 && last != '\n') text += '\n';
  }
  text.append(line);
  text += '\n';
  // One write() for the whole line: O_APPEND makes it land in one piece.
  std::string_view rest = text;
  while (!rest.empty()) {
    const auto written = ::write(fd.get(), rest.data(), rest.size());
    if (written < 0 && errno == EINTR) continue;
    if (written < 0) return os_error("append to", file, errno);
    rest.remove_prefix(static_cast<std::size_t>(written));
  }
  if (::fsync(fd.get()) != 0) return os_error("fsync of", file, errno);
  if (info.st_size == 0) {
    hand_over(file);
    return sync_folder(file.parent_path());
  }
  return {};
}

}  // namespace es
