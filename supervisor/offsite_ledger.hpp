#pragma once
// What the supervisor remembers of a DB's off-site repository between runs
// (`<db>.supervisor-offsite.json`, beside the run history): when it last
// applied offsite.keep_last and keep_daily, so forget and prune run at most
// once a day, and the backups whose snapshots that forgot. A sync copies
// every local backup that no snapshot holds: without this list, a backup
// the policy let go would be copied again while it is still kept here.
// Read at a run's start; written atomically. Missing or unreadable: empty,
// which at worst prunes once more or copies a backup again.

#include <filesystem>
#include <optional>
#include <set>
#include <string>

#include "common/result.hpp"
#include "common/time_stamp.hpp"

namespace es {

struct OffsiteLedger {
  std::optional<Clock::time_point> pruned_at;
  std::set<std::string> forgotten;  // backup file names

  static std::filesystem::path path_for(const std::filesystem::path& db);
  static OffsiteLedger read(const std::filesystem::path& db);
  // Keeps only the forgotten names still among `backup_dir`'s files: the
  // rest can never be copied again anyway.
  [[nodiscard]] Result<void> write(const std::filesystem::path& db,
                                   const std::filesystem::path& backup_dir) const;

  bool prune_due(Clock::time_point now) const {
    return !pruned_at || now - *pruned_at >= std::chrono::hours(24) || *pruned_at > now;
  }
};

}  // namespace es
