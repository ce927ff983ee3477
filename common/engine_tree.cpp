#include "common/engine_tree.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

namespace es {
using nlohmann::json;

bool EngineTreeRecord::same_record(const EngineTreeRecord& other) const {
  const auto keys = [](const EngineTreeRecord& record) {
    std::set<std::tuple<long, std::uint64_t, std::string>> set;
    for (const auto& p : record.processes) set.emplace(p.pid, p.start_time, p.command);
    return set;
  };
  return cgroup == other.cgroup && keys(*this) == keys(other);
}

bool EngineTreeRecord::same_processes(const EngineTreeRecord& other) const {
  const auto keys = [](const EngineTreeRecord& record) {
    std::set<std::pair<long, std::uint64_t>> set;
    for (const auto& p : record.processes) set.emplace(p.pid, p.start_time);
    return set;
  };
  return keys(*this) == keys(other);
}

json to_json(const EngineTreeRecord& record) {
  json processes = json::array();
  for (const auto& p : record.processes) {
    processes.push_back({{"pid", p.pid}, {"start_time", p.start_time}, {"command", p.command}});
  }
  return {{"boot_id", record.boot_id},
          {"process_group", record.process_group},
          {"cgroup", record.cgroup},
          {"processes", processes}};
}

std::optional<EngineTreeRecord> engine_tree_from_json(const json& value) {
  if (!value.is_object()) return std::nullopt;
  try {
    EngineTreeRecord record;
    record.boot_id = value.value("boot_id", "");
    record.process_group = value.value("process_group", 0L);
    record.cgroup = value.value("cgroup", "");
    for (const auto& p : value.at("processes")) {
      record.processes.push_back({p.at("pid").get<long>(), p.at("start_time").get<std::uint64_t>(),
                                  p.value("command", "")});
    }
    return record;
  } catch (const json::exception&) {
    return std::nullopt;  // a hand edit or another build's shape: no record
  }
}

std::vector<ProcessEntry> select_engine_tree(const std::vector<ProcessEntry>& table,
                                             long supervisor_pid, long group,
                                             const std::vector<long>& cgroup_pids) {
  std::map<long, long> parent;
  for (const auto& p : table) parent[p.pid] = p.parent_pid;
  // Walks up from each process until the supervisor, init or a loop; what
  // each walk learns is remembered, so the whole table costs O(n log n).
  std::map<long, bool> descends;
  const auto descends_from_supervisor = [&](long pid) {
    std::vector<long> path;
    bool result = false;
    for (long at = pid;;) {
      if (const auto known = descends.find(at); known != descends.end()) {
        result = known->second;
        break;
      }
      path.push_back(at);
      const auto up = parent.find(at);
      if (up == parent.end() || up->second <= 1 || path.size() > table.size()) break;
      if (up->second == supervisor_pid) {
        result = true;
        break;
      }
      at = up->second;
    }
    for (const auto at : path) descends[at] = result;
    return result;
  };
  const std::set<long> in_cgroup(cgroup_pids.begin(), cgroup_pids.end());
  std::vector<ProcessEntry> tree;
  for (const auto& p : table) {
    if (p.pid == supervisor_pid || p.zombie) continue;
    if ((group > 0 && p.group == group) || in_cgroup.contains(p.pid) ||
        descends_from_supervisor(p.pid)) {
      tree.push_back(p);
    }
  }
  std::sort(tree.begin(), tree.end(),
            [](const ProcessEntry& a, const ProcessEntry& b) { return a.pid < b.pid; });
  return tree;
}

}  // namespace es
