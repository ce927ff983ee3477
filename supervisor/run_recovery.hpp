#pragma once
// Step 2 of a run: find what earlier runs' engines left running, then close
// the runs whose supervisor died.
//
// A run still marked `running` when the next supervisor holds the lock had
// its supervisor killed, lose power, or lose its console faster than cleanup
// could finish. It is recorded as unclean / supervisor_lost, ended at the
// last moment it was known alive (the heartbeat in the lock file), its
// summary is written if it has none, and the operator is told.
// Called with the session lock held; blocking.

#include "common/config.hpp"
#include "common/run_history.hpp"
#include "common/session_lock.hpp"

namespace es {

// kLocked (75) naming every process an earlier run's engine left running
// (common/run_leftovers.hpp); nullopt when there is none. Called before
// recover_lost_runs: a lost run whose processes still run stays `running`
// in the history, so every start looks for them again until they are gone.
// Kills nothing, writes nothing.
std::optional<Error> find_run_leftovers(const SessionLock& lock, const RunHistory& history,
                                        const std::filesystem::path& db_path);

// Returns how many runs it closed. Removes a closed run's empty cgroup.
int recover_lost_runs(const SessionLock& lock, const RunHistory& history, const Config& config);

}  // namespace es
