#include "supervisor/platform/engine_tree_posix.hpp"

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>

#include "common/fs_ops.hpp"

namespace es {

namespace {

// This process's cgroup v2 folder: the cgroup2 mount (from mountinfo) plus
// the path in /proc/self/cgroup's "0::" line, taken relative to the mount's
// root. "" and why, when there is none.
std::pair<std::string, std::string> own_cgroup_dir() {
  std::ifstream cgroups("/proc/self/cgroup");
  std::string line;
  std::string path;
  while (std::getline(cgroups, line)) {
    if (line.rfind("0::", 0) == 0) path = line.substr(3);
  }
  if (path.empty()) return {"", "this system has no cgroup v2 hierarchy"};
  std::ifstream mounts("/proc/self/mountinfo");
  while (std::getline(mounts, line)) {
    // id parent major:minor root mount-point options [optional…] - type source super-options
    const auto dash = line.find(" - ");
    if (dash == std::string::npos) continue;
    std::istringstream tail(line.substr(dash + 3));
    std::string type;
    tail >> type;
    if (type != "cgroup2") continue;
    std::istringstream head(line.substr(0, dash));
    std::string id, parent, device, root, mount_point;
    head >> id >> parent >> device >> root >> mount_point;
    if (root != "/" && path.rfind(root, 0) != 0) continue;
    const auto inside = root == "/" ? path : path.substr(root.size());
    return {mount_point + (inside == "/" ? "" : inside), ""};
  }
  return {"", "no cgroup2 filesystem is mounted"};
}

// True if `pid` still names the process `member` read a moment ago: a
// pidfd pins the process, and its start time tells a reused pid apart.
// Then sends it `signal`. Without pidfd (Linux before 5.3), kill().
void signal_member(const ProcessEntry& member, int signal) {
#ifdef SYS_pidfd_open
  const int fd = static_cast<int>(::syscall(SYS_pidfd_open, member.pid, 0));
  if (fd >= 0) {
    const auto now = read_process(member.pid);
    if (now && now->start_time == member.start_time) {
      (void)::syscall(SYS_pidfd_send_signal, fd, signal, nullptr, 0);
    }
    ::close(fd);
    return;
  }
  if (errno != ENOSYS) return;  // ESRCH: gone already
#endif
  ::kill(static_cast<pid_t>(member.pid), signal);
}

// The process groups of every tree watched now. The supervisor is the
// subreaper of all its children, so the engine's tree, seen as "what
// descends from the supervisor", would take in a helper running beside it
// (restic copying a backup off site) and stop it as the engine's leftover.
// Each tree leaves out the others' groups.
std::mutex g_groups_mutex;
std::set<long> g_tree_groups;

}  // namespace

LiveEngineTree::LiveEngineTree(const std::string& run_id, bool helper)
    : placement_level_(helper ? spdlog::level::debug : spdlog::level::info) {
  // Orphans of the engine come here, not to init: a wrapper shell's child
  // after the shell exits, a helper that double-forked and setsid()'d. They
  // stay descendants, so they can be found and stopped with the engine.
  if (::prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) {
    spdlog::warn("could not make the supervisor a child subreaper ({}): processes the engine "
                 "orphans go to init, and only its process group and cgroup track them",
                 os_error_text(errno));
  }
  make_cgroup(run_id);
}

LiveEngineTree::~LiveEngineTree() {
  if (engine_ > 0) {
    std::lock_guard lock(g_groups_mutex);
    g_tree_groups.erase(static_cast<long>(engine_));
  }
  if (cgroup_procs_fd_ >= 0) ::close(cgroup_procs_fd_);
  (void)remove_cgroup();
}

void LiveEngineTree::make_cgroup(const std::string& run_id) {
  const auto [own, why_none] = own_cgroup_dir();
  if (own.empty()) return drop_cgroup(why_none);
  const auto dir = own + "/engine-supervisor-" + run_id;
  if (::mkdir(dir.c_str(), 0755) != 0) {
    return drop_cgroup("cannot make " + dir + ": " + os_error_text(errno) +
                       (errno == EACCES || errno == EROFS || errno == EPERM
                            ? " (the cgroup is not delegated to this user)"
                            : ""));
  }
  cgroup_dir_ = dir;
  cgroup_procs_fd_ = ::open((dir + "/cgroup.procs").c_str(), O_WRONLY | O_CLOEXEC);
  if (cgroup_procs_fd_ < 0) drop_cgroup("cannot open " + dir + "/cgroup.procs: " + os_error_text(errno));
}

void LiveEngineTree::drop_cgroup(const std::string& why) {
  if (cgroup_procs_fd_ >= 0) ::close(cgroup_procs_fd_);
  cgroup_procs_fd_ = -1;
  if (!cgroup_dir_.empty()) ::rmdir(cgroup_dir_.c_str());
  cgroup_dir_.clear();
  spdlog::log(placement_level_,
              "the engine runs without a cgroup of its own: {}. Its processes are tracked as "
               "the supervisor's descendants (child subreaper) and by its process group",
               why);
}

void LiveEngineTree::join_in_child() const noexcept {
  // "0" moves the writing process. A failure leaves the engine where the
  // supervisor is; engine_started() sees that and drops the cgroup.
  if (cgroup_procs_fd_ >= 0) [[maybe_unused]] auto ignored = ::write(cgroup_procs_fd_, "0", 1);
}

void LiveEngineTree::engine_started(pid_t engine) {
  engine_ = engine;
  {
    std::lock_guard lock(g_groups_mutex);
    g_tree_groups.insert(static_cast<long>(engine));
  }
  if (cgroup_procs_fd_ < 0) return;
  ::close(cgroup_procs_fd_);
  cgroup_procs_fd_ = -1;
  const auto in_cgroup = cgroup_members(cgroup_dir_);
  const auto engine_now = read_process(engine);
  // An engine that already exited has left every cgroup: nothing to tell.
  const bool gone = !engine_now || engine_now->zombie;
  if (!gone &&
      std::find(in_cgroup.begin(), in_cgroup.end(), static_cast<long>(engine)) == in_cgroup.end()) {
    // The move needs write access to this process's own cgroup.procs too
    // (the common ancestor), which an undelegated cgroup does not give.
    drop_cgroup("the engine could not be moved into " + cgroup_dir_ +
                " (moving a process needs write access to the supervisor's own cgroup)");
    return;
  }
  spdlog::log(placement_level_, "the engine runs in the cgroup {}", cgroup_dir_);
}

std::vector<ProcessEntry> LiveEngineTree::members() const {
  auto tree = select_engine_tree(read_process_table(), static_cast<long>(::getpid()),
                                 static_cast<long>(engine_), cgroup_members(cgroup_dir_));
  std::lock_guard lock(g_groups_mutex);
  std::erase_if(tree, [&](const ProcessEntry& p) {
    return p.group != static_cast<long>(engine_) && g_tree_groups.contains(p.group);
  });
  return tree;
}

std::string LiveEngineTree::command_of(const ProcessEntry& member) const {
  const auto key = std::make_pair(member.pid, member.start_time);
  auto found = commands_.find(key);
  if (found == commands_.end()) found = commands_.emplace(key, process_command_line(member.pid)).first;
  return found->second;
}

EngineTreeRecord LiveEngineTree::record() const {
  EngineTreeRecord record;
  record.boot_id = current_boot_id();
  record.process_group = static_cast<long>(engine_);
  record.cgroup = cgroup_dir_;
  auto live = members();
  std::stable_partition(live.begin(), live.end(),
                        [this](const ProcessEntry& p) { return p.pid == engine_; });
  std::map<std::pair<long, std::uint64_t>, std::string> still_known;
  for (const auto& member : live) {
    const auto command = command_of(member);
    still_known.emplace(std::make_pair(member.pid, member.start_time), command);
    record.processes.push_back({member.pid, member.start_time, command});
  }
  commands_ = std::move(still_known);  // forget the dead: the cache stays the tree's size
  return record;
}

void LiveEngineTree::signal_all(int signal) const {
  // The group first, as one signal: an engine and its workers that share
  // a group hear it together, and each only once.
  if (engine_ > 0) ::kill(-engine_, signal);
  for (const auto& member : members()) {
    if (member.group != engine_) signal_member(member, signal);
  }
}

void LiveEngineTree::kill_all() const {
  if (!cgroup_dir_.empty()) {
    // Linux 5.14 and later; elsewhere the file is missing and the rounds
    // below do the work.
    const int fd = ::open((cgroup_dir_ + "/cgroup.kill").c_str(), O_WRONLY | O_CLOEXEC);
    if (fd >= 0) {
      [[maybe_unused]] auto ignored = ::write(fd, "1", 1);
      ::close(fd);
    }
  }
  if (engine_ > 0) ::kill(-engine_, SIGKILL);
  std::set<std::pair<long, std::uint64_t>> signalled;
  for (int round = 0; round < 5; ++round) {
    bool any_new = false;
    for (const auto& member : members()) {
      if (!signalled.emplace(member.pid, member.start_time).second) continue;
      any_new = true;
      signal_member(member, SIGKILL);
    }
    if (!any_new) break;
  }
}

bool LiveEngineTree::remove_cgroup() {
  if (cgroup_dir_.empty()) return true;
  return remove_empty_cgroup(cgroup_dir_);
}

}  // namespace es
