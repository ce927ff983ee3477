#pragma once
// What earlier runs' engines left running, found at the next start.
//
// A supervisor killed with SIGKILL takes its engine with it (the engine's
// parent-death signal, or on Windows the Job Object), but on Linux not the
// rest of the engine's tree: what a wrapper shell without `exec` started, or
// a helper that called setsid(), is reparented to init and may go on writing
// the DB. The next run must not start a second engine beside it, and the
// sole-writer check alone does not see a leftover that holds no DB file (a
// listener on the engine's port). So the next start looks for them first,
// and refuses (75) naming each one (issue 11, items 9 and 18).
//
// A process is a leftover of a run when any of these holds:
//  - the lock file's record of that run's tree names it, with the same start
//    time and from this boot (a reused pid has another start time);
//  - it is in the run's process group (the engine's pid), and started no
//    earlier than the run: only for a run whose supervisor was lost;
//  - its environment has the run's ENGINE_SUPERVISOR_RUN_ID, which every
//    process the engine starts inherits unless it clears it;
//  - it is in the run's cgroup.
// Never the supervisor itself or one of its ancestors (a shell the operator
// started from inside an engine's environment carries its run id too).
//
// Nothing here kills anything: the operator decides. A leftover may be in
// the middle of a transaction, may be what serves the clients right now,
// and a pid plus a start time read a moment ago is not a handle: killing by
// it could, in a rare race, hit a stranger.
// Pure functions over a ProcessView; thread-safe.

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/engine_tree.hpp"
#include "common/result.hpp"
#include "common/run_history.hpp"
#include "common/session_lock.hpp"

namespace es {

// What is known of one earlier run, from the history and the lock file.
struct RunTrace {
  std::string run_id;
  std::int64_t started_unix_ms = 0;  // 0 if unknown
  bool lost = false;                 // still `running` in the history: its supervisor died
  std::optional<long> engine_pid;    // its process group on POSIX
  std::string cgroup;                // the engine's cgroup, "" if none was recorded
  std::optional<EngineTreeRecord> recorded;  // the lock file's record, when it is of this run
};

// Every run in `history` (lost or not), with the lock file's record joined
// to the run it names.
std::vector<RunTrace> run_traces(const LoadedHistory& history,
                                 const std::optional<LockHolder>& lock_record);

// How the processes are read: the OS (process_view()), or a test's table.
struct ProcessView {
  std::vector<ProcessEntry> table;
  long self_pid = 0;
  std::string boot_id;
  std::function<std::optional<std::string>(long pid, std::string_view name)> environment;
  std::function<std::string(long pid)> command_line;
  std::function<std::vector<long>(const std::string& cgroup)> cgroup_members;
};

ProcessView process_view();

struct Leftover {
  long pid = 0;
  std::string command;
  std::string run_id;
  std::string found_by;  // "recorded in the lock file", "in its process group 4242", …
};

// The leftovers of `runs`, each process once, by pid.
std::vector<Leftover> find_leftovers(const std::vector<RunTrace>& runs, const ProcessView& view);

// kLocked (75): names each leftover, its command line and its run, and the
// way out (stop them, or wait until they end).
Error leftovers_refusal(const std::filesystem::path& db_path, const std::vector<Leftover>& found);

}  // namespace es
