#pragma once
// A second writer that fills a filesystem at the worst moment: right after
// the supervisor's free-space check passed, while its backup copy runs.
//
// Built on OpenInterceptor: when a backup temporary (`<name>.<pid>.tmp`)
// whose name holds one of the triggers is opened in the watched folder, the
// filler grows its own file on the same filesystem until only `leave_bytes`
// remain free, and only then lets the open go on. The copy that follows
// meets a real ENOSPC. Each trigger fires once.
//
// Needs what OpenInterceptor needs. Thread-safe.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "torture/open_interceptor.hpp"

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

  // Starts listening. nullptr with `why_not` set if fanotify is refused.
  static std::unique_ptr<DiskFiller> start(Plan plan, std::string& why_not);

  // The temporaries whose opening triggered a fill, and the free bytes left
  // after each fill.
  struct Fill {
    std::string opened;
    std::uintmax_t free_after = 0;
  };
  std::vector<Fill> fills() const;
  // Problems met (a fill that failed); empty when all went well.
  std::vector<std::string> problems() const { return interceptor_->problems(); }

 private:
  DiskFiller() = default;
  std::string on_open(const Plan& plan, const std::filesystem::path& opened);

  mutable std::mutex mutex_;
  std::set<std::string> pending_triggers_;
  std::vector<Fill> fills_;
  std::unique_ptr<OpenInterceptor> interceptor_;  // last: stops first
};

}  // namespace es::torture
