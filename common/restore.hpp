#pragma once
// Putting a backup back in place of the live DB, without losing anything.
//
// The plan is data: stage a copy of the backup beside the DB (through
// SQLite, so rows in the backup's own -wal come too), move the
// current DB and its -wal and -shm aside to `<db>.replaced.<UTC stamp>`
// (suffixes kept), then rename the staged copy into place. Every step after
// staging is a single rename, so an interruption between any two steps
// leaves the old DB either still in place or in its .replaced. file, and the
// live name either empty or holding the complete restored copy. The main
// file is moved before its -wal, so a stale -wal can never meet the restored
// DB under the live name: installing refuses while a -wal or -shm remains.
// Nothing is ever deleted. Blocking; the caller holds the session lock.

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "common/backup_gap.hpp"
#include "common/restore_record.hpp"
#include "common/result.hpp"
#include "common/time_stamp.hpp"

namespace es {

struct RestoreMove {
  std::filesystem::path from;
  std::filesystem::path to;
};

struct RestorePlan {
  std::filesystem::path db;
  std::filesystem::path backup;
  std::vector<RestoreMove> set_aside;  // only files that exist now: the DB, -wal, -shm, -journal
  BackupGap lacks;                     // the runs whose writes the backup does not hold
  std::string aside_stamp = {};        // the UTC second in the .replaced. names
  std::string describe() const;        // the plan, for --dry-run and the prompt
};

// Reads what exists beside the DB and the DB's run history; changes nothing.
RestorePlan plan_restore(const std::filesystem::path& db, const std::filesystem::path& backup,
                         Clock::time_point now = Clock::now());

// Called after each completed step with a line saying what it did. Returning
// false stops the restore right there, as a crash would (fault-injection
// tests use this; the command prints the lines).
using RestoreStepReport = std::function<bool(const std::string& done)>;

// Carries out the plan, recording it first (restore_record.hpp) so that a
// kill at any moment leaves what resume_restore() needs. On an error it
// stops at once; what was moved stays moved (and is named in the error),
// nothing is deleted, and the record stays for the next command to finish. `moved`, when
// given, gets each move as it was really done: the aside names are claimed
// when the files move, so another restore in the same second (or a file
// that appeared since the plan) pushes the set to the next free -N name.
[[nodiscard]] Result<void> execute_restore(const RestorePlan& plan,
                                           const RestoreStepReport& report = {},
                                           std::vector<RestoreMove>* moved = nullptr);

// A restore cut off (killed, a power cut) left its record
// (restore_record.hpp). Before the copy was whole: undone (the partial copy
// removed; nothing had moved). After: finished, each step done once,
// whatever was done before. `finished` says which; `moved` holds every move
// of the set, done now or before the cut.
struct ResumedRestore {
  RestoreRecord record;
  bool finished = false;
  std::vector<RestoreMove> moved;
};

// nullopt when no restore was under way. An Error (the record kept, for the
// next try) when it cannot go on; the message names the file and the way out.
[[nodiscard]] Result<std::optional<ResumedRestore>> resume_restore(
    const std::filesystem::path& db, const RestoreStepReport& report = {});

}  // namespace es
