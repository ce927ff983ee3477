#pragma once
// A restore's ending, shared by the `restore` command and by the next `run`
// or `restore` that finds a restore cut off (common/restore.hpp,
// resume_restore): the check of the restored DB, and the history's record
// of what really happened. Called with the session lock held; blocking.

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "common/integrity_check.hpp"
#include "common/restore.hpp"
#include "common/run_history.hpp"

namespace es {

// Appends the `restore` event (completed = in place and ok; installed;
// moved_aside as really done) and, when installed, the restored DB at rest,
// so the next start's continuity check compares with it.
void record_restore(const RunHistory& history, const std::filesystem::path& db,
                    const std::string& backup, const std::vector<RestoreMove>& moved,
                    bool installed, const CheckReport& report);

// What became of a restore that was cut off.
struct CutOffRestore {
  bool finished = false;  // the restored copy is in place; false: undone, the DB as it was
  std::string message;    // what to say loudly
};

// Finishes or undoes the restore a kill cut off, if any, and returns what
// to say loudly: what was found, what was done, where the old files are.
// nullopt when there was none. An Error when it could not go on (the record kept), or
// when the restored DB does not pass integrity_check (kIntegrityFailed).
[[nodiscard]] Result<std::optional<CutOffRestore>> finish_interrupted_restore(const std::filesystem::path& db);

}  // namespace es
