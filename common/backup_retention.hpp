#pragma once
// Which of a DB's backups retention keeps, and when each one's data was
// really taken.
//
// A backup's name carries the clock's time when it was taken. A clock that
// was ahead (a wrong RTC, a VM resumed with a stale offset) names a backup
// in the future; sorted by name, that backup then stays "the newest" until
// real time catches up, years perhaps: `restore --latest` would pick it, and
// retention would keep it and delete the real newest ones. So a name's
// stamp is trusted only if it is plausible:
//
//   - not later than `now` plus kFutureStampTolerance, and
//   - not later than the file's own last-modified time plus
//     kStampAfterWriteMargin (a backup is named when its copy starts, and
//     written after, so its mtime is never much before its stamp).
//
// A backup that fails either test has a future stamp. It is an anomaly for
// an operator to look at: never deleted, never counted among the newest,
// and ordered by its mtime when that is plausible, else after every other
// backup (its real time is unknown).
//
// The policy, over the backups whose stamp is trusted:
//   - the newest `newest_per_kind` of each kind (bak, post, manual);
//   - the newest backup, of any kind but `live` (in-session backups, kept
//     two at a time, must not stand for a day), of each of the last `daily`
//     UTC days that hold a backup;
//   - the newest backup, of any kind but `live`, of each of the last `weekly` ISO weeks
//     (Monday to Sunday, UTC) that hold a backup.
// The days and weeks are those that hold backups, not calendar days back
// from today: after a month without runs, a burst of runs in one day still
// leaves the older days' backups in place.
//
// Pure functions; thread-safe.

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "common/backup_name.hpp"
#include "common/time_stamp.hpp"

namespace es {

inline constexpr auto kFutureStampTolerance = std::chrono::minutes(5);
// Wide enough for a FAT volume's mtime in local time (UTC-12..UTC+14).
inline constexpr auto kStampAfterWriteMargin = std::chrono::hours(24);

struct RetentionPolicy {
  int newest_per_kind = 10;  // db_safeguards.backup_retention_count
  int daily = 7;             // db_safeguards.backup_keep_daily; 0: no daily tier
  int weekly = 4;            // db_safeguards.backup_keep_weekly; 0: no weekly tier
};

// When a backup's data was taken, as far as the evidence goes.
struct BackupDating {
  // The name's stamp when it is trusted; for a future stamp, the file's mtime
  // if that is not in the future too; nullopt when nothing tells.
  std::optional<Clock::time_point> taken;
  bool future_stamp = false;
};

// `modified` is the file's last-modified time, nullopt if it could not be
// read (then only the comparison with `now` applies).
BackupDating date_backup(const BackupName& name, std::optional<Clock::time_point> modified,
                         Clock::time_point now);

// Newest first: by `taken` (then by the name), and backups whose time is
// unknown after all others.
bool taken_later(const BackupName& a_name, const BackupDating& a, const BackupName& b_name,
                 const BackupDating& b);

struct RetentionItem {
  BackupName name;
  BackupDating dating;
};

// For each item, whether the policy keeps it. Items with a future stamp are
// always kept and never fill a place among the newest, a day or a week.
// The order of `items` does not matter.
std::vector<bool> kept_by_policy(const std::vector<RetentionItem>& items,
                                 const RetentionPolicy& policy);

// "3 d 04 h", "2 h 05 min", "41 s": an age an operator reads at a glance.
std::string describe_age(std::chrono::seconds age);

}  // namespace es
