// The process table on Windows: nothing to read, by design (see
// process_table.hpp). The engine's Job Object ends the engine's whole tree
// with the supervisor, so no lost run leaves processes behind; the tree of a
// live engine is read from its Job Object (engine_process_windows.cpp).

#include "common/process_table.hpp"

namespace es {

std::vector<ProcessEntry> read_process_table() { return {}; }

std::optional<ProcessEntry> read_process(long) { return std::nullopt; }

std::string process_command_line(long, std::size_t) { return {}; }

std::optional<std::string> process_environment_value(long, std::string_view) {
  return std::nullopt;
}

std::string current_boot_id() { return {}; }

std::vector<long> cgroup_members(const std::string&) { return {}; }

bool remove_empty_cgroup(const std::string&) { return true; }

}  // namespace es
