#include "common/run_leftovers.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "common/os_info.hpp"
#include "common/time_stamp.hpp"

namespace es {

namespace {

// Start times come from the boot time in whole seconds plus clock ticks, and
// a run's started_at is cut to the second: a process of the run may look up
// to this much older than the run.
constexpr std::int64_t kClockSlackMs = 2000;

constexpr std::string_view kRunIdVariable = "ENGINE_SUPERVISOR_RUN_ID";

std::int64_t unix_ms(const std::string& iso) {
  const auto parsed = parse_iso8601_utc(iso);
  if (!parsed) return 0;
  return std::chrono::duration_cast<std::chrono::milliseconds>(parsed->time_since_epoch()).count();
}

bool started_during_or_after(const ProcessEntry& p, const RunTrace& run) {
  return run.started_unix_ms == 0 || p.started_unix_ms + kClockSlackMs >= run.started_unix_ms;
}

// The supervisor and the processes it runs under: never leftovers, even if
// an operator started this run from a shell inside an engine's environment.
std::set<long> self_and_ancestors(const ProcessView& view) {
  std::map<long, long> parent;
  for (const auto& p : view.table) parent[p.pid] = p.parent_pid;
  std::set<long> chain;
  for (long at = view.self_pid; at > 0 && !chain.contains(at);) {
    chain.insert(at);
    const auto up = parent.find(at);
    if (up == parent.end()) break;
    at = up->second;
  }
  return chain;
}

// The run's process group still names its engine's group: the pid is free
// (the group outlives its leader, and the OS hands out no pid that is still
// a group's id), or the process under it is the recorded engine. A live
// process with that pid and another start time leads a group of its own.
bool group_is_the_runs(const RunTrace& run, const std::map<long, const ProcessEntry*>& by_pid) {
  const auto found = by_pid.find(*run.engine_pid);
  if (found == by_pid.end()) return true;
  if (!run.recorded || run.recorded->processes.empty()) return false;
  const auto& engine = run.recorded->processes.front();
  return engine.pid == *run.engine_pid && engine.start_time == found->second->start_time;
}

}  // namespace

std::vector<RunTrace> run_traces(const LoadedHistory& history,
                                 const std::optional<LockHolder>& lock_record) {
  std::vector<RunTrace> traces;
  for (const auto& run : history.runs) {
    RunTrace trace;
    trace.run_id = run.run_id;
    trace.started_unix_ms = unix_ms(run.started_at);
    trace.lost = run.running();
    trace.engine_pid = run.engine_pid;
    trace.cgroup = run.engine_cgroup;
    if (lock_record && lock_record->run_id == run.run_id && !lock_record->engine_tree.empty()) {
      trace.recorded = lock_record->engine_tree;
      if (trace.cgroup.empty()) trace.cgroup = lock_record->engine_tree.cgroup;
    }
    traces.push_back(std::move(trace));
  }
  return traces;
}

ProcessView process_view() {
  ProcessView view;
  view.table = read_process_table();
  view.self_pid = current_process_id();
  view.boot_id = current_boot_id();
  view.environment = [](long pid, std::string_view name) {
    return process_environment_value(pid, name);
  };
  view.command_line = [](long pid) { return process_command_line(pid); };
  view.cgroup_members = [](const std::string& cgroup) { return cgroup_members(cgroup); };
  return view;
}

std::vector<Leftover> find_leftovers(const std::vector<RunTrace>& runs, const ProcessView& view) {
  std::map<long, Leftover> found;
  const auto excluded = self_and_ancestors(view);
  std::map<long, const ProcessEntry*> by_pid;
  for (const auto& p : view.table) {
    if (!p.zombie && !excluded.contains(p.pid)) by_pid[p.pid] = &p;
  }
  const auto add = [&](const ProcessEntry& p, const RunTrace& run, std::string why) {
    if (found.contains(p.pid)) return;
    found[p.pid] = {p.pid, view.command_line ? view.command_line(p.pid) : "", run.run_id,
                    std::move(why)};
  };
  std::map<std::string, const RunTrace*> by_run_id;
  std::int64_t earliest = -1;
  for (const auto& run : runs) {
    by_run_id[run.run_id] = &run;
    if (earliest < 0 || run.started_unix_ms < earliest) earliest = run.started_unix_ms;
    if (run.recorded && run.recorded->boot_id == view.boot_id) {
      for (const auto& recorded : run.recorded->processes) {
        const auto live = by_pid.find(recorded.pid);
        if (live != by_pid.end() && live->second->start_time == recorded.start_time) {
          add(*live->second, run, "recorded in the lock file as a process of its engine");
        }
      }
    }
    if (!run.cgroup.empty() && view.cgroup_members) {
      for (const auto pid : view.cgroup_members(run.cgroup)) {
        if (const auto live = by_pid.find(pid); live != by_pid.end()) {
          add(*live->second, run, "in its engine's cgroup " + run.cgroup);
        }
      }
    }
    // A lost run's group: its members were never signalled. A run that
    // ended had its group stopped; a member left is found by the others.
    if (run.lost && run.engine_pid && *run.engine_pid > 1 && group_is_the_runs(run, by_pid)) {
      for (const auto& [pid, p] : by_pid) {
        if (p->group == *run.engine_pid && started_during_or_after(*p, run)) {
          add(*p, run, "in its engine's process group " + std::to_string(*run.engine_pid));
        }
      }
    }
  }
  if (view.environment && !by_run_id.empty()) {
    for (const auto& [pid, p] : by_pid) {
      if (found.contains(pid) || p->started_unix_ms + kClockSlackMs < earliest) continue;
      const auto value = view.environment(pid, kRunIdVariable);
      if (!value) continue;
      const auto run = by_run_id.find(*value);
      if (run == by_run_id.end() || !started_during_or_after(*p, *run->second)) continue;
      add(*p, *run->second, std::string(kRunIdVariable) + "=" + *value + " in its environment");
    }
  }
  std::vector<Leftover> list;
  for (auto& [pid, leftover] : found) list.push_back(std::move(leftover));
  return list;
}

Error leftovers_refusal(const std::filesystem::path& db_path, const std::vector<Leftover>& found) {
  std::string lines;
  std::string pids;
  for (const auto& leftover : found) {
    lines += "\n  pid " + std::to_string(leftover.pid) + ": " +
             (leftover.command.empty() ? "(command line unreadable)" : leftover.command) +
             "  [run " + leftover.run_id + "; " + leftover.found_by + "]";
    pids += " " + std::to_string(leftover.pid);
  }
  return Error{ExitCode::kLocked,
               "processes that an earlier run's engine started are still running:" + lines +
                   "\nThey may still write " + db_path.string() +
                   ", so no engine is started beside them, and nothing was checked or backed "
                   "up. Stop them (kill" +
                   pids +
                   "; then kill -9 any that does not exit), or wait until they end; then run "
                   "again."};
}

}  // namespace es
