#pragma once
// Something else acting on the filesystem at the worst moment: right when
// the supervisor opens a backup temporary, after every check it made.
//
// It listens with fanotify for the opening of files in one folder. A
// FAN_OPEN_PERM event holds that open() until the listener answers, so the
// action runs while the opener waits, and what it does is in place before
// the open returns: deterministic, with no timing luck. The interceptor
// only ever allows an open; it never denies one.
//
// Needs CAP_SYS_ADMIN and a kernel with fanotify permission events. The
// action runs on the one listener thread; the rest is thread-safe.

#include <atomic>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace es::torture {

class OpenInterceptor {
 public:
  // Runs while the open() of `opened` (a file directly in the folder) waits.
  // Returns a problem to report, or an empty string.
  using Action = std::function<std::string(const std::filesystem::path& opened)>;

  // Starts listening on `folder`. nullptr with `why_not` set if fanotify is
  // refused. The action must not open files in `folder` itself.
  static std::unique_ptr<OpenInterceptor> start(const std::filesystem::path& folder, Action action,
                                                std::string& why_not);

  OpenInterceptor(const OpenInterceptor&) = delete;
  ~OpenInterceptor();  // stops listening; an open still held is allowed by the kernel

  // Problems the actions returned, and any failure to answer an event.
  std::vector<std::string> problems() const;

 private:
  OpenInterceptor(Action action, int fanotify_fd);
  void listen();

  Action action_;
  int fanotify_fd_ = -1;
  std::atomic<bool> stop_{false};
  mutable std::mutex mutex_;
  std::vector<std::string> problems_;
  std::thread listener_;
};

}  // namespace es::torture
