#pragma once
// The engine's tree while it runs, on Linux (common/engine_tree.hpp says
// what belongs to it): this process made a child subreaper, the engine put
// in a cgroup of its own where the system allows it, and signals that reach
// every member. Used by engine_process_posix.cpp only.
//
// Single-threaded (the event loop's thread), except join_in_child(), which
// runs in the forked child before exec.

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <spdlog/common.h>

#include "common/engine_tree.hpp"

namespace es {

class LiveEngineTree {
 public:
  // Before the fork. Makes this process a child subreaper for the rest of
  // its life: what the engine orphans is reparented here, not to init, and
  // is then a child this process must reap (every child, with waitpid(-1)).
  // Makes the cgroup `engine-supervisor-<run_id>` under this process's own
  // cgroup (v2); where that cannot be done (no cgroup v2, no write access,
  // no delegation), says why once in the log and goes on without: the
  // subreaper and the process group still track the tree.
  LiveEngineTree(const std::string& run_id, bool helper);
  ~LiveEngineTree();  // removes the cgroup, if it is empty
  LiveEngineTree(const LiveEngineTree&) = delete;
  LiveEngineTree& operator=(const LiveEngineTree&) = delete;

  // In the child, between fork and exec; async-signal-safe. Moves the child
  // into the cgroup before it runs a line of the engine, so nothing it
  // starts can be born outside it.
  void join_in_child() const noexcept;

  // In the parent, once the engine has exec'd: keeps the cgroup only if the
  // engine is in it.
  void engine_started(pid_t engine);

  // The live members now (no zombies), the engine among them while it lives.
  std::vector<ProcessEntry> members() const;

  // The record for the lock file: the engine first, then the rest by pid.
  EngineTreeRecord record() const;

  // Sends `signal` once to every member: to the engine's process group as a
  // whole, then to each member outside it by pid, after checking that the
  // pid still names the same process (pidfd; a reused pid is left alone).
  void signal_all(int signal) const;

  // SIGKILL to every member: cgroup.kill when there is a cgroup (atomic,
  // even against a process forking meanwhile), the group, then each member,
  // a few rounds while members remain (a fork may race a round). Returns
  // without waiting for them to be reaped.
  void kill_all() const;

  // The member's command line, read while it lived.
  std::string command_of(const ProcessEntry& member) const;

  const std::string& cgroup() const { return cgroup_dir_; }

  // Removes the cgroup if it is empty now; true when there is none left.
  bool remove_cgroup();

 private:
  void make_cgroup(const std::string& run_id);
  void drop_cgroup(const std::string& why);

  spdlog::level::level_enum placement_level_;  // where it runs: info for the engine
  pid_t engine_ = -1;
  std::string cgroup_dir_;
  int cgroup_procs_fd_ = -1;  // opened before the fork, for join_in_child
  mutable std::map<std::pair<long, std::uint64_t>, std::string> commands_;
};

}  // namespace es
