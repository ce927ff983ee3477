#include "torture/open_interceptor.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/fanotify.h>
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

std::unique_ptr<OpenInterceptor> OpenInterceptor::start(const fs::path& folder, Action action,
                                                        std::string& why_not) {
  // FAN_CLASS_CONTENT: the class that may receive permission events.
  const int fd = ::fanotify_init(FAN_CLASS_CONTENT | FAN_CLOEXEC, O_RDONLY | O_LARGEFILE);
  if (fd < 0) {
    why_not = std::string("fanotify_init: ") + std::strerror(errno);
    return nullptr;
  }
  // An inode mark on the folder with FAN_EVENT_ON_CHILD: only opens of the
  // files directly in it are held, nothing elsewhere on the filesystem.
  if (::fanotify_mark(fd, FAN_MARK_ADD, FAN_OPEN_PERM | FAN_EVENT_ON_CHILD, AT_FDCWD,
                      folder.c_str()) != 0) {
    why_not = "fanotify_mark FAN_OPEN_PERM on " + folder.string() + ": " + std::strerror(errno);
    ::close(fd);
    return nullptr;
  }
  return std::unique_ptr<OpenInterceptor>(new OpenInterceptor(std::move(action), fd));
}

OpenInterceptor::OpenInterceptor(Action action, int fanotify_fd)
    : action_(std::move(action)), fanotify_fd_(fanotify_fd) {
  listener_ = std::thread([this] { listen(); });
}

OpenInterceptor::~OpenInterceptor() {
  stop_ = true;
  listener_.join();
  // Closing the group answers any event still pending with "allow".
  ::close(fanotify_fd_);
}

void OpenInterceptor::listen() {
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
        const auto problem = action_(path_of_descriptor(event->fd));
        const fanotify_response allow{event->fd, FAN_ALLOW};
        const bool answered = ::write(fanotify_fd_, &allow, sizeof allow) == sizeof allow;
        std::lock_guard lock(mutex_);
        if (!problem.empty()) problems_.push_back(problem);
        if (!answered) problems_.push_back(std::string("fanotify answer: ") + std::strerror(errno));
      }
      ::close(event->fd);
    }
  }
}

std::vector<std::string> OpenInterceptor::problems() const {
  std::lock_guard lock(mutex_);
  return problems_;
}

}  // namespace es::torture
