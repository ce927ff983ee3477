#pragma once
// A second writer that fills a filesystem at the worst moment: right after
// the supervisor's free-space check passed, while its backup copy runs.
//
// It listens with fanotify for the opening of a backup temporary
// (`<name>.<pid>.tmp`) in the watched folder. A FAN_OPEN_PERM event holds
// that open() until the listener answers, so the filler grows its own file
// on the same filesystem until only `leave_bytes` remain free, and only then
// lets the open go on. The copy that follows meets a real ENOSPC, with no
// timing luck involved. The filler only ever allows an open; it never
// denies one.
//
// Needs CAP_SYS_ADMIN and a kernel with fanotify permission events. One
// listener thread; the object itself is used from one thread.

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace es::torture {

// Bytes this user may still write on the filesystem that holds `folder`.
std::uintmax_t free_bytes(const std::filesystem::path& folder);

// Grows `file` (created if need be) until at most `leave_bytes` stay free on
// its filesystem, rounded to whole 4 KiB pages. Returns an empty string, or
// what went wrong.
std::string fill_filesystem(const std::filesystem::path& file, std::uintmax_t leave_bytes);

class DiskFiller {
 public:
  struct Plan {
    std::filesystem::path watched_folder;  // where the backups are written
    std::filesystem::path filler_file;     // same filesystem, outside watched_folder
    std::vector<std::string> triggers;     // e.g. ".bak.": fill when a temporary with it opens
    std::uintmax_t leave_bytes = 0;        // free space left after the fill
  };

  // Starts listening. nullopt with `why_not` set if fanotify is refused.
  static std::unique_ptr<DiskFiller> start(Plan plan, std::string& why_not);

  DiskFiller(const DiskFiller&) = delete;
  ~DiskFiller();  // stops listening; any open still held is allowed by the kernel

  // The temporaries whose opening triggered a fill, and the free bytes left
  // after each fill.
  struct Fill {
    std::string opened;
    std::uintmax_t free_after = 0;
  };
  std::vector<Fill> fills() const;
  // Problems the listener met (a fill that failed); empty when all went well.
  std::vector<std::string> problems() const;

 private:
  DiskFiller(Plan plan, int fanotify_fd);
  void listen();
  void on_open(const std::string& path);

  Plan plan_;
  int fanotify_fd_ = -1;
  std::atomic<bool> stop_{false};
  std::vector<std::string> pending_triggers_;
  mutable std::mutex mutex_;
  std::vector<Fill> fills_;
  std::vector<std::string> problems_;
  std::thread listener_;
};

}  // namespace es::torture
