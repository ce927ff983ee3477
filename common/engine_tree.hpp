#pragma once
// The engine's tree: the engine and every process it started, however they
// tried to leave it. An engine is often not one process: a wrapper shell
// without `exec` (`sh -c "python3 engine.py; echo done"`), a server that
// forks request handlers, helpers that call setsid() to leave the process
// group. Any of them may hold the DB open and write it; none may outlive the
// run (issue 11, items 9, 18, 19).
//
// On Linux a process belongs to the tree when any of these holds:
//  - it descends from the supervisor. The supervisor is a child subreaper
//    (PR_SET_CHILD_SUBREAPER), so what the engine orphans is reparented to
//    it, not to init: a setsid() helper whose parent exited stays a
//    descendant;
//  - it is in the engine's process group;
//  - it is in the engine's cgroup, when the engine has one.
// On Windows the tree is the engine's Job Object.
//
// The record of the tree (EngineTreeRecord) is written into the lock file
// while the engine runs, so the next start can find what a lost run left.
// Pure functions and plain values; thread-safe.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/process_table.hpp"

namespace es {

// One process of the tree, as recorded: (pid, start_time) names it for good.
struct TrackedProcess {
  long pid = 0;
  std::uint64_t start_time = 0;
  std::string command;

  bool operator==(const TrackedProcess&) const = default;
};

struct EngineTreeRecord {
  std::string boot_id;     // current_boot_id() when recorded: other boots' processes are gone
  long process_group = 0;  // the engine's process group (its pid on POSIX); 0 on Windows
  std::string cgroup;      // the engine's cgroup folder; "" when it has none
  std::vector<TrackedProcess> processes;  // the engine first, then its descendants by pid

  bool empty() const { return processes.empty(); }
  // Same processes (pid and start time); commands and order aside.
  bool same_processes(const EngineTreeRecord& other) const;
  // What the lock file would say differs: processes, their commands (a
  // child that exec'd since the last look keeps its pid and start time), or
  // the cgroup. Order aside.
  bool same_record(const EngineTreeRecord& other) const;
};

// A process of the engine's tree still running when the engine exited, and
// how it ended: "stopped" (it exited after the stop signal), "killed" (it
// outstayed the grace, or a kill came; on Windows, the Job Object ended it),
// "still_running" (not even a kill ended it: another user's, or stuck in
// the kernel).
struct LeftProcess {
  long pid = 0;
  std::string command;
  std::string ended;
};

nlohmann::json to_json(const EngineTreeRecord& record);
// nullopt if `json` is not such a record (a lock file from an older build).
std::optional<EngineTreeRecord> engine_tree_from_json(const nlohmann::json& json);

// The processes of `table` in the engine's tree, alive (no zombies), never
// the supervisor itself: the descendants of `supervisor_pid`, the members
// of process group `group` (0: none) and the pids in `cgroup_pids`.
// Sorted by pid.
std::vector<ProcessEntry> select_engine_tree(const std::vector<ProcessEntry>& table,
                                             long supervisor_pid, long group,
                                             const std::vector<long>& cgroup_pids);

}  // namespace es
