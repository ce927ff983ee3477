#pragma once
// Step 2 of a run: close the runs whose supervisor died.
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

// Returns how many runs it closed.
int recover_lost_runs(const SessionLock& lock, const RunHistory& history, const Config& config);

}  // namespace es
