#include "torture/disk_filler.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/fanotify.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace es::torture {
namespace fs = std::filesystem;

namespace {

std::string path_of_descriptor(int fd) {
  char buffer[4096];
  const auto link = "/proc/self/fd/" + std::to_string(fd);
  const auto length = ::readlink(link.c_str(), buffer, sizeof buffer - 1);
  return length > 0 ? std::string(buffer, static_cast<std::size_t>(length)) : std::string();
}

}  // namespace

std::uintmax_t free_bytes(const fs::path& folder) {
  struct statvfs info {};
  if (::statvfs(folder.c_str(), &info) != 0) return 0;
  return static_cast<std::uintmax_t>(info.f_bavail) * info.f_frsize;
}

std::string fill_filesystem(const fs::path& file, std::uintmax_t leave_bytes) {
  const auto available = free_bytes(file.parent_path());
  if (available <= leave_bytes) return {};
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return "open of " + file.string() + ": " + std::strerror(errno);
  const off_t at = ::lseek(fd, 0, SEEK_END);
  // tmpfs allocates in pages: ask for what is free beyond leave_bytes,
  // rounded up to a page, so no more than leave_bytes stay free.
  const auto grow = static_cast<off_t>((available - leave_bytes + 4095) & ~std::uintmax_t{4095});
  std::string problem;
  if (::fallocate(fd, 0, at, grow) != 0) {
    problem = "fallocate of " + file.string() + ": " + std::strerror(errno);
  }
  ::close(fd);
  return problem;
}

std::unique_ptr<DiskFiller> DiskFiller::start(Plan plan, std::string& why_not) {
  // FAN_CLASS_CONTENT: the class that may receive permission events.
  const int fd = ::fanotify_init(FAN_CLASS_CONTENT | FAN_CLOEXEC, O_RDONLY | O_LARGEFILE);
  if (fd < 0) {
    why_not = std::string("fanotify_init: ") + std::strerror(errno);
    return nullptr;
  }
  // An inode mark on the folder with FAN_EVENT_ON_CHILD: only opens of the
  // files directly in it are held, never the filler's own file outside it.
  if (::fanotify_mark(fd, FAN_MARK_ADD, FAN_OPEN_PERM | FAN_EVENT_ON_CHILD, AT_FDCWD,
                      plan.watched_folder.c_str()) != 0) {
    why_not = "fanotify_mark FAN_OPEN_PERM on " + plan.watched_folder.string() + ": " +
              std::strerror(errno);
    ::close(fd);
    return nullptr;
  }
  return std::unique_ptr<DiskFiller>(new DiskFiller(std::move(plan), fd));
}

DiskFiller::DiskFiller(Plan plan, int fanotify_fd)
    : plan_(std::move(plan)), fanotify_fd_(fanotify_fd), pending_triggers_(plan_.triggers) {
  listener_ = std::thread([this] { listen(); });
}

DiskFiller::~DiskFiller() {
  stop_ = true;
  listener_.join();
  // Closing the group answers any event still pending with "allow".
  ::close(fanotify_fd_);
}

void DiskFiller::listen() {
  alignas(fanotify_event_metadata) char buffer[8192];
  while (!stop_) {
    pollfd ready{fanotify_fd_, POLLIN, 0};
    if (::poll(&ready, 1, 20) <= 0) continue;
    const auto length = ::read(fanotify_fd_, buffer, sizeof buffer);
    if (length <= 0) continue;
    auto remaining = static_cast<unsigned>(length);
    for (auto* event = reinterpret_cast<fanotify_event_metadata*>(buffer);
         FAN_EVENT_OK(event, remaining); event = FAN_EVENT_NEXT(event, remaining)) {
      if (event->fd < 0) continue;
      if (event->mask & FAN_OPEN_PERM) {
        on_open(path_of_descriptor(event->fd));
        const fanotify_response allow{event->fd, FAN_ALLOW};
        if (::write(fanotify_fd_, &allow, sizeof allow) != sizeof allow) {
          std::lock_guard lock(mutex_);
          problems_.push_back(std::string("fanotify response: ") + std::strerror(errno));
        }
      }
      ::close(event->fd);
    }
  }
}

void DiskFiller::on_open(const std::string& path) {
  if (!path.ends_with(".tmp")) return;
  const auto name = fs::path(path).filename().string();
  std::string trigger;
  for (auto it = pending_triggers_.begin(); it != pending_triggers_.end(); ++it) {
    if (name.find(*it) != std::string::npos) {
      trigger = *it;
      pending_triggers_.erase(it);
      break;
    }
  }
  if (trigger.empty()) return;

  const auto problem = fill_filesystem(plan_.filler_file, plan_.leave_bytes);
  std::lock_guard lock(mutex_);
  if (!problem.empty()) problems_.push_back(problem);
  fills_.push_back(Fill{path, free_bytes(plan_.filler_file.parent_path())});
}

std::vector<DiskFiller::Fill> DiskFiller::fills() const {
  std::lock_guard lock(mutex_);
  return fills_;
}

std::vector<std::string> DiskFiller::problems() const {
  std::lock_guard lock(mutex_);
  return problems_;
}

}  // namespace es::torture
