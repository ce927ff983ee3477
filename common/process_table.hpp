#pragma once
// The OS's table of processes, read for two questions: which processes does
// the engine's tree hold now (engine_tree.hpp), and which processes did the
// engine of a lost run leave running (run_leftovers.hpp).
//
// A pid alone does not name a process for good: once the process is reaped,
// the OS hands the number to the next one. The pair (pid, start_time) does:
// a reused pid has another start time.
//
//  - Linux (process_table_posix.cpp): /proc/<pid>/stat, cmdline and environ;
//    the cgroup v2 hierarchy for cgroup members.
//  - Windows (process_table_windows.cpp): nothing to read, by design. The
//    engine and everything it starts live in a Job Object with
//    KILL_ON_JOB_CLOSE, which the OS ends when the supervisor's handle to it
//    closes, however the supervisor dies; so no run can leave processes for
//    a later one to find. Every function here returns "none".
//
// Every read races with processes that start and end meanwhile: a process
// that vanishes while read is simply absent. Blocking; no shared state.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace es {

struct ProcessEntry {
  long pid = 0;
  long parent_pid = 0;
  long group = 0;                // its process group (POSIX); 0 where there is none
  std::uint64_t start_time = 0;  // since boot, in the OS's unit; with pid, one process for good
  std::int64_t started_unix_ms = 0;  // wall-clock start, to about a second
  bool zombie = false;           // has exited, not yet reaped: holds no file, runs nothing
};

// Every process this process may see (all of them on Linux; the command
// line and environment of another user's are hidden unless we are root).
std::vector<ProcessEntry> read_process_table();

// One process; nullopt if there is none with this pid.
std::optional<ProcessEntry> read_process(long pid);

// Its command line, arguments joined by spaces, at most `max_bytes` long
// (cut with "…"); "" if unreadable (gone, or another user's).
std::string process_command_line(long pid, std::size_t max_bytes = 300);

// The value of `name` in its environment as it was when it started; nullopt
// if unreadable or not set.
std::optional<std::string> process_environment_value(long pid, std::string_view name);

// Which boot this is: a start_time from another boot names no live process.
// "" where the OS does not say.
std::string current_boot_id();

// The pids in a cgroup folder (cgroup.procs); empty if it does not exist.
std::vector<long> cgroup_members(const std::string& cgroup_dir);

// Removes a cgroup folder if it is empty (rmdir refuses one with processes
// or children). Returns true if it is gone (or was never there).
bool remove_empty_cgroup(const std::string& cgroup_dir);

}  // namespace es
