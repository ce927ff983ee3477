#pragma once
// What a backup lacks: the supervised runs whose engine wrote to the DB
// after the backup was taken, read from the run history. Restoring the
// backup puts the DB back to before those writes; the restore plan says so
// before anything is changed, run by run, with how each ended.
//
// Which runs are after it: for a pre- or post-session backup, the history
// names the run that took it (run_started's pre_session_backup,
// run_finished's post_session_backup), and the runs after it are exact. For
// a manual backup, a file not named as a backup, or a history that does not
// name it: a run whose engine started after the backup's stamp is after it,
// and one whose engine was running at that time is partly after it (only
// its later writes are missing). Runs that never started an engine wrote
// nothing and are left out. Stamps and history times have one-second
// resolution; a run whose engine started in the second of a manual
// backup counts as partly after it.
// Pure functions, except find_backup_gap, which reads the history file and
// the backup's modification time. Thread-safe.

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "common/backup_name.hpp"
#include "common/run_history.hpp"
#include "common/time_stamp.hpp"

namespace es {

struct RunAfterBackup {
  std::string run_id;
  std::string outcome;  // clean | unclean | aborted | running, as the history says
  bool partly = false;  // running when the backup was taken: only its later writes are missing
};

struct BackupGap {
  // When the backup was taken: its name's stamp, or, for a file not named
  // like the supervisor's backups, its modification time.
  std::optional<Clock::time_point> taken;
  bool taken_from_file_time = false;
  bool stamp_in_future = false;  // named by a clock that was ahead: runs after it cannot be told
  bool history_found = false;
  std::vector<RunAfterBackup> runs;
  // When the DB (its main file or its -wal) was last written: the latest
  // the damage can be, so "taken 1 min 10 s before" is what going back
  // costs at most. Unknown when neither file can be read.
  std::optional<Clock::time_point> db_last_written;

  // One line for the restore plan: "taken 2026-04-22T17:01:10Z; runs since
  // then: R1 clean, R2 unclean; their writes are not in it."
  std::string describe() const;
};

// The runs of `runs` (oldest first) after a backup taken at `taken`, of
// `kind` (nullopt for a file not named as a backup), whose file name is
// `backup_file_name`.
std::vector<RunAfterBackup> runs_after_backup(Clock::time_point taken,
                                              std::optional<BackupKind> kind,
                                              const std::string& backup_file_name,
                                              const std::vector<RunRecord>& runs);

// What `backup` lacks of the DB at `db`, from the DB's run history. Never
// fails: what cannot be read is said in the description.
BackupGap find_backup_gap(const std::filesystem::path& db, const std::filesystem::path& backup,
                          Clock::time_point now = Clock::now());

}  // namespace es
