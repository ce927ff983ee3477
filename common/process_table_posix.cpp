// The process table on Linux, from /proc. Plain open/read: a scan reads
// one small file per process, and the supervisor does it at most a few times
// a minute (engine_tree) or once per start (run_leftovers).

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

#include "common/process_table.hpp"

namespace es {

namespace {

// The whole of a small /proc file; "" if it cannot be read.
std::string read_proc_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return {};
  std::string text;
  char buffer[4096];
  for (;;) {
    const auto got = ::read(fd, buffer, sizeof buffer);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;
    text.append(buffer, static_cast<std::size_t>(got));
  }
  ::close(fd);
  return text;
}

template <class Number>
bool parse_number(std::string_view text, Number& value) {
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  return error == std::errc{} && end == text.data() + text.size();
}

// /proc/stat's btime: the boot's wall-clock second, to turn a start time in
// clock ticks since boot into a wall-clock time.
std::int64_t boot_unix_seconds() {
  const auto text = read_proc_file("/proc/stat");
  const auto at = text.find("\nbtime ");
  if (at == std::string::npos) return 0;
  const auto start = at + 7;
  const auto end = text.find('\n', start);
  std::int64_t seconds = 0;
  (void)parse_number(std::string_view(text).substr(start, end - start), seconds);
  return seconds;
}

// /proc/<pid>/stat: "pid (comm) state ppid pgrp session tty tpgid flags
// minflt cminflt majflt cmajflt utime stime cutime cstime priority nice
// threads itrealvalue starttime …". The command name may hold spaces and
// parentheses, so the fields are counted from the last ')'.
std::optional<ProcessEntry> parse_stat(long pid, const std::string& text, std::int64_t boot_seconds,
                                       long ticks_per_second) {
  const auto close = text.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::vector<std::string_view> fields;
  std::string_view rest = std::string_view(text).substr(close + 1);
  while (!rest.empty() && fields.size() < 20) {
    const auto begin = rest.find_first_not_of(' ');
    if (begin == std::string_view::npos) break;
    rest.remove_prefix(begin);
    const auto end = rest.find(' ');
    fields.push_back(rest.substr(0, end));
    rest.remove_prefix(end == std::string_view::npos ? rest.size() : end);
  }
  if (fields.size() < 20) return std::nullopt;
  ProcessEntry entry;
  entry.pid = pid;
  entry.zombie = fields[0] == "Z" || fields[0] == "X";
  if (!parse_number(fields[1], entry.parent_pid) || !parse_number(fields[2], entry.group) ||
      !parse_number(fields[19], entry.start_time)) {
    return std::nullopt;
  }
  const auto ticks = static_cast<std::int64_t>(entry.start_time);
  entry.started_unix_ms = boot_seconds * 1000 + ticks * 1000 / ticks_per_second;
  return entry;
}

long ticks_per_second() {
  const long ticks = ::sysconf(_SC_CLK_TCK);
  return ticks > 0 ? ticks : 100;
}

}  // namespace

std::vector<ProcessEntry> read_process_table() {
  std::vector<ProcessEntry> table;
  DIR* proc = ::opendir("/proc");
  if (proc == nullptr) return table;
  const auto boot_seconds = boot_unix_seconds();
  const auto ticks = ticks_per_second();
  while (const dirent* entry = ::readdir(proc)) {
    long pid = 0;
    if (!parse_number(std::string_view(entry->d_name), pid) || pid <= 0) continue;
    const auto text = read_proc_file("/proc/" + std::to_string(pid) + "/stat");
    if (auto parsed = parse_stat(pid, text, boot_seconds, ticks)) table.push_back(*parsed);
  }
  ::closedir(proc);
  return table;
}

std::optional<ProcessEntry> read_process(long pid) {
  if (pid <= 0) return std::nullopt;
  const auto text = read_proc_file("/proc/" + std::to_string(pid) + "/stat");
  if (text.empty()) return std::nullopt;
  return parse_stat(pid, text, boot_unix_seconds(), ticks_per_second());
}

std::string process_command_line(long pid, std::size_t max_bytes) {
  auto text = read_proc_file("/proc/" + std::to_string(pid) + "/cmdline");
  while (!text.empty() && text.back() == '\0') text.pop_back();
  for (auto& c : text) {
    if (c == '\0' || c == '\n' || c == '\r') c = ' ';
  }
  if (text.empty()) {
    // A kernel thread, or a process that cleared its arguments: its name.
    const auto stat = read_proc_file("/proc/" + std::to_string(pid) + "/stat");
    const auto open = stat.find('(');
    const auto close = stat.rfind(')');
    if (open != std::string::npos && close != std::string::npos && close > open) {
      text = "[" + stat.substr(open + 1, close - open - 1) + "]";
    }
  }
  if (text.size() > max_bytes) {
    text.resize(max_bytes);
    text += "…";
  }
  return text;
}

std::optional<std::string> process_environment_value(long pid, std::string_view name) {
  const auto text = read_proc_file("/proc/" + std::to_string(pid) + "/environ");
  std::string_view rest(text);
  while (!rest.empty()) {
    const auto end = rest.find('\0');
    const auto entry = rest.substr(0, end);
    if (entry.size() > name.size() && entry.substr(0, name.size()) == name &&
        entry[name.size()] == '=') {
      return std::string(entry.substr(name.size() + 1));
    }
    if (end == std::string_view::npos) break;
    rest.remove_prefix(end + 1);
  }
  return std::nullopt;
}

std::string current_boot_id() {
  auto text = read_proc_file("/proc/sys/kernel/random/boot_id");
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

std::vector<long> cgroup_members(const std::string& cgroup_dir) {
  std::vector<long> pids;
  if (cgroup_dir.empty()) return pids;
  const auto text = read_proc_file(cgroup_dir + "/cgroup.procs");
  std::string_view rest(text);
  while (!rest.empty()) {
    const auto end = rest.find('\n');
    long pid = 0;
    if (parse_number(rest.substr(0, end), pid) && pid > 0) pids.push_back(pid);
    if (end == std::string_view::npos) break;
    rest.remove_prefix(end + 1);
  }
  return pids;
}

bool remove_empty_cgroup(const std::string& cgroup_dir) {
  if (cgroup_dir.empty()) return true;
  return ::rmdir(cgroup_dir.c_str()) == 0 || errno == ENOENT;
}

}  // namespace es
