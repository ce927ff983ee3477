// The engine as a POSIX child: fork/exec by hand, because every spawn step
// below matters for the sole-writer guarantee and Boost.Process v2 in 1.81
// hides some of them (see TECH-NOTES).

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <map>
#include <mutex>
#include <set>

#include <spdlog/spdlog.h>

#include "common/config.hpp"
#include "common/fs_ops.hpp"
#include "supervisor/engine_process.hpp"
#include "supervisor/platform/engine_tree_posix.hpp"
#include "supervisor/platform/output_drain.hpp"

extern char** environ;

namespace es {
namespace asio = boost::asio;

namespace {

struct SignalName {
  int number;
  const char* name;
};
constexpr SignalName kSignalNames[] = {
    {SIGHUP, "SIGHUP"},   {SIGINT, "SIGINT"},   {SIGQUIT, "SIGQUIT"}, {SIGILL, "SIGILL"},
    {SIGTRAP, "SIGTRAP"}, {SIGABRT, "SIGABRT"}, {SIGBUS, "SIGBUS"},   {SIGFPE, "SIGFPE"},
    {SIGKILL, "SIGKILL"}, {SIGUSR1, "SIGUSR1"}, {SIGSEGV, "SIGSEGV"}, {SIGUSR2, "SIGUSR2"},
    {SIGPIPE, "SIGPIPE"}, {SIGALRM, "SIGALRM"}, {SIGTERM, "SIGTERM"}, {SIGXCPU, "SIGXCPU"},
    {SIGXFSZ, "SIGXFSZ"}, {SIGSYS, "SIGSYS"},
};

// What the child reports through the status pipe when exec fails.
struct ExecFailure {
  int stage;  // 0 chdir, 1 exec, 2 parent died
  int error_number;
};

// Everything the child needs, prepared before fork(): after fork only
// async-signal-safe calls are allowed, so no allocation happens there.
struct ChildPlan {
  std::vector<std::string> argv_storage;
  std::vector<std::string> env_storage;
  std::vector<char*> argv;
  std::vector<char*> envp;
  std::string working_dir;
  std::string stdin_file;  // "/dev/null" unless the spec names one
};

ChildPlan plan_child(const EngineSpec& spec) {
  ChildPlan plan;
  plan.argv_storage = spec.argv;
  for (char** entry = environ; *entry; ++entry) {
    const std::string_view text(*entry);
    const auto name = text.substr(0, text.find('='));
    if (!spec.extra_env.contains(std::string(name))) plan.env_storage.emplace_back(text);
  }
  for (const auto& [name, value] : spec.extra_env) plan.env_storage.push_back(name + "=" + value);
  for (auto& arg : plan.argv_storage) plan.argv.push_back(arg.data());
  plan.argv.push_back(nullptr);
  for (auto& entry : plan.env_storage) plan.envp.push_back(entry.data());
  plan.envp.push_back(nullptr);
  plan.working_dir = spec.working_dir.string();
  plan.stdin_file = spec.stdin_file.empty() ? "/dev/null" : spec.stdin_file.string();
  return plan;
}

[[noreturn]] void child_fail(int status_fd, int stage) {
  const ExecFailure failure{stage, errno};
  [[maybe_unused]] auto ignored = ::write(status_fd, &failure, sizeof failure);
  ::_exit(127);
}

[[noreturn]] void run_child(const ChildPlan& plan, pid_t parent, int out_fd, int err_fd,
                            int status_fd, const LiveEngineTree& tree) {
  // Own process group: a stop or kill reaches the engine and its children
  // together, and the terminal's Ctrl+C (sent to the foreground group)
  // reaches only the supervisor, which then stops the engine in order.
  ::setpgid(0, 0);
  // Into the engine's cgroup before a line of it runs: nothing it starts
  // is born outside.
  tree.join_in_child();
  // Dies with the supervisor, however the supervisor dies: no writer outlives
  // its supervisor. Fires on the death of the spawning thread, which is the
  // main thread that lives as long as the supervisor. (It reaches the engine
  // only; what the engine starts is found by the next start: run_leftovers.)
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent) child_fail(status_fd, 2);  // parent already gone
  // The supervisor's handlers and mask must not leak into the engine:
  // exec keeps ignored signals ignored and keeps the mask.
  for (int number = 1; number < NSIG; ++number) {
    if (number != SIGKILL && number != SIGSTOP) ::signal(number, SIG_DFL);
  }
  sigset_t empty;
  ::sigemptyset(&empty);
  ::sigprocmask(SIG_SETMASK, &empty, nullptr);
  // stdin from /dev/null (or the spec's file): in a background process
  // group, reading the terminal would stop the engine with SIGTTIN.
  const int null_fd = ::open(plan.stdin_file.c_str(), O_RDONLY);
  if (null_fd >= 0) ::dup2(null_fd, 0);
  ::dup2(out_fd, 1);
  ::dup2(err_fd, 2);
  // No descriptor of ours (the lock file, the log files, a DB handle) may
  // reach the engine: mark everything above stderr close-on-exec. The
  // status pipe must stay open until exec, so close-on-exec, not close.
  ::syscall(SYS_close_range, 3U, ~0U, 4U /* CLOSE_RANGE_CLOEXEC */);
  if (::chdir(plan.working_dir.c_str()) != 0) child_fail(status_fd, 0);
  ::execvpe(plan.argv[0], plan.argv.data(), plan.envp.data());
  child_fail(status_fd, 1);
}

class Pipe {
 public:
  Pipe() {
    if (::pipe2(fds_, O_CLOEXEC) != 0) fds_[0] = fds_[1] = -1;
  }
  // Linux: a 1 MiB pipe instead of 64 KiB. A chatty engine then wakes the
  // loop for one read per MiB, not per 64 KiB, and a burst waits in the
  // kernel rather than blocking the engine. Unprivileged processes may ask
  // for up to /proc/sys/fs/pipe-max-size (1 MiB by default); less is fine.
  void enlarge() {
#ifdef F_SETPIPE_SZ
    if (ok()) (void)::fcntl(fds_[0], F_SETPIPE_SZ, 1 << 20);
#endif
  }
  ~Pipe() {
    close_read();
    close_write();
  }
  bool ok() const { return fds_[0] >= 0; }
  int read_end() const { return fds_[0]; }
  int write_end() const { return fds_[1]; }
  int release_read() { return std::exchange(fds_[0], -1); }
  void close_read() {
    if (fds_[0] >= 0) ::close(std::exchange(fds_[0], -1));
  }
  void close_write() {
    if (fds_[1] >= 0) ::close(std::exchange(fds_[1], -1));
  }

 private:
  int fds_[2];
};

// Several children may run at once, each watched on a thread of its own
// (the engine, and restic copying a backup off site beside it), and each
// watcher reaps with waitpid(-1): it must, as the subreaper of what the
// engine orphans. So one can reap another's child. What a watcher reaps
// that is not its own goes here, under one lock, and the owner finds it:
// every watcher hears each SIGCHLD, and looks here after its own waitpid.
std::mutex g_reaped_mutex;
std::map<pid_t, int> g_reaped_for_others;  // pid -> its wait status

class PosixEngineProcess final : public EngineProcess {
 public:
  PosixEngineProcess(asio::io_context& io, OutputHandler on_output, ExitHandler on_exit)
      : drain_(io, std::move(on_output), std::move(on_exit)),
        child_signals_(io, SIGCHLD),
        leftover_timer_(io) {}

  Result<void> start(const EngineSpec& spec) {
    if (spec.argv.empty()) return Error{ExitCode::kEngineNotStarted, "engine.command is empty"};
    const ChildPlan plan = plan_child(spec);
    Pipe out, err, status;
    out.enlarge();
    err.enlarge();
    if (!out.ok() || !err.ok() || !status.ok()) {
      return Error{ExitCode::kEngineNotStarted,
                   "cannot start engine " + spec.argv[0] + ": pipe() failed: " +
                       os_error_text(errno)};
    }
    stop_signal_ = signal_number(spec.stop_signal);
    stop_signal_name_ = spec.stop_signal;
    grace_ = spec.stop_grace;
    // Before the fork: the subreaper must be in place before the engine can
    // orphan anything, and the cgroup before the child joins it.
    tree_ = std::make_unique<LiveEngineTree>(spec.run_id, spec.helper);
    const pid_t parent = ::getpid();
    const pid_t child = ::fork();
    if (child < 0) {
      return Error{ExitCode::kEngineNotStarted,
                   "cannot start engine " + spec.argv[0] + ": fork() failed: " +
                       os_error_text(errno)};
    }
    if (child == 0) {
      run_child(plan, parent, out.write_end(), err.write_end(), status.write_end(), *tree_);
    }

    pid_ = child;
    {
      // A status kept for an earlier process with this pid is not this one's.
      std::lock_guard lock(g_reaped_mutex);
      g_reaped_for_others.erase(child);
    }
    // Also from the parent, so the group exists before any stop is sent.
    ::setpgid(child, child);
    out.close_write();
    err.close_write();
    status.close_write();
    ExecFailure failure{};
    ssize_t got;
    do {
      got = ::read(status.read_end(), &failure, sizeof failure);
    } while (got < 0 && errno == EINTR);
    if (got == static_cast<ssize_t>(sizeof failure)) {
      int ignored = 0;
      ::waitpid(child, &ignored, 0);
      pid_ = -1;
      const char* what = failure.stage == 0   ? "cannot enter working folder "
                         : failure.stage == 1 ? "cannot execute "
                                              : "supervisor vanished while starting ";
      const std::string target = failure.stage == 0 ? plan.working_dir : spec.argv[0];
      return Error{ExitCode::kEngineNotStarted, "engine could not be started: " +
                                                    std::string(what) + target + ": " +
                                                    os_error_text(failure.error_number)};
    }
    tree_->engine_started(child);
    drain_.out().assign(out.release_read());
    drain_.err().assign(err.release_read());
    drain_.start();
    wait_for_child();
    reap();  // it may have exited before the SIGCHLD watch was in place
    return {};
  }

  long pid() const override { return pid_; }

  void request_stop(std::string_view signal_name) override {
    if (pid_ > 0 && !exited_) ::kill(-pid_, signal_number(signal_name));
  }

  void kill_tree() override {
    if (pid_ <= 0 || finished_) return;
    if (!exited_) {
      killed_before_exit_ = true;
      ::kill(-pid_, SIGKILL);
      tree_->kill_all();
    } else if (phase_ == LeftoverPhase::kStopping) {
      kill_leftovers();
    }
  }

  EngineTreeRecord tree() const override { return tree_ ? tree_->record() : EngineTreeRecord{}; }

  ~PosixEngineProcess() override {
    // Never leave the engine, or anything it started, behind: the
    // supervisor is the only thing that may decide it is done.
    if (pid_ > 0 && !finished_) {
      if (!exited_) ::kill(-pid_, SIGKILL);
      tree_->kill_all();
      if (!reaped_) {
        int ignored = 0;
        ::waitpid(pid_, &ignored, 0);
      }
    }
  }

 private:
  enum class LeftoverPhase { kNone, kStopping, kKilling };

  void wait_for_child() {
    child_signals_.async_wait([this](const boost::system::error_code& error, int) {
      if (error) return;
      reap();
      if (!finished_) wait_for_child();
    });
  }

  void reap() {
    if (finished_) return;
    // This process is a child subreaper: its children are the engine and
    // whatever of the engine's tree lost its parent. All are reaped here.
    {
      std::lock_guard lock(g_reaped_mutex);
      for (;;) {
        int status = 0;
        const pid_t got = ::waitpid(-1, &status, WNOHANG);
        if (got <= 0) break;  // 0: none exited yet; -1 (ECHILD): no children left
        if (got == pid_) {
          reaped_ = true;
          engine_status_ = status;
        } else {
          g_reaped_for_others[got] = status;
        }
      }
      if (const auto mine = g_reaped_for_others.find(pid_);
          !reaped_ && mine != g_reaped_for_others.end()) {
        reaped_ = true;
        engine_status_ = mine->second;
        g_reaped_for_others.erase(mine);
      }
    }
    if (!reaped_) return;
    if (!exited_) {
      exited_ = true;
      // exit_code() of a signalled child would read as the signal number;
      // decode the wait status ourselves (TECH-NOTES, Boost.Process bug 7).
      if (WIFSIGNALED(engine_status_)) {
        exit_.signal = WTERMSIG(engine_status_);
      } else {
        exit_.exit_code = WEXITSTATUS(engine_status_);
      }
      stop_leftovers();
      return;
    }
    if (tree_->members().empty()) finish();
  }

  // Whatever the engine left running must not outlive it: the sole writer
  // is the engine, not its orphans. They get the stop signal and the same
  // grace as the engine, then SIGKILL. Their ends arrive as SIGCHLD (they
  // are, or become, children of this subreaper); the timers bound the wait.
  void stop_leftovers() {
    const auto left = tree_->members();
    if (left.empty()) return finish();
    std::string names;
    for (const auto& member : left) {
      left_.push_back(member);
      names += " " + std::to_string(member.pid) + " (" + tree_->command_of(member) + ")";
    }
    if (killed_before_exit_) {
      // The engine was killed (a stop that outstayed its grace, a second
      // Ctrl+C): no second grace for what it left.
      spdlog::warn("the engine was killed, and {} of its processes still run:{}", left.size(),
                   names);
      return kill_leftovers();
    }
    spdlog::warn("the engine exited, but {} of its processes still run:{}; sending them {}, and "
                 "SIGKILL after {} s",
                 left.size(), names, stop_signal_name_, grace_.count());
    phase_ = LeftoverPhase::kStopping;
    tree_->signal_all(stop_signal_);
    leftover_timer_.expires_after(grace_);
    leftover_timer_.async_wait([this](const boost::system::error_code& error) {
      if (!error) kill_leftovers();
    });
  }

  void kill_leftovers() {
    phase_ = LeftoverPhase::kKilling;
    for (const auto& member : tree_->members()) {
      killed_.emplace(member.pid, member.start_time);
    }
    if (!killed_.empty()) {
      spdlog::warn("{} process(es) the engine left did not stop: killing them", killed_.size());
    }
    tree_->kill_all();
    leftover_timer_.expires_after(kKillWait);
    leftover_timer_.async_wait([this](const boost::system::error_code& error) {
      if (!error) finish();
    });
  }

  void finish() {
    if (finished_) return;
    finished_ = true;
    leftover_timer_.cancel();
    child_signals_.cancel();
    const auto still = tree_->members();
    std::set<std::pair<long, std::uint64_t>> running;
    for (const auto& member : still) running.emplace(member.pid, member.start_time);
    for (const auto& member : left_) {
      const auto key = std::make_pair(member.pid, member.start_time);
      const char* ended = running.erase(key) ? "still_running"
                          : killed_.contains(key) ? "killed"
                                                  : "stopped";
      exit_.left_running.push_back({member.pid, tree_->command_of(member), ended});
    }
    for (const auto& member : still) {
      // Born during the grace, from what the engine left.
      if (running.contains({member.pid, member.start_time})) {
        exit_.left_running.push_back({member.pid, tree_->command_of(member), "still_running"});
      }
    }
    if (!still.empty()) {
      spdlog::error("{} process(es) of the engine's tree outlived even SIGKILL (another user's, "
                    "or stuck in the kernel); the run goes on without them stopped",
                    still.size());
    } else if (!tree_->remove_cgroup()) {
      spdlog::warn("could not remove the engine's cgroup {}: {}", tree_->cgroup(),
                   os_error_text(errno));
    }
    drain_.engine_exited(exit_);
  }

  // How long to wait for killed processes to be reaped, as the stop plan's
  // kill step does for the engine.
  static constexpr auto kKillWait = std::chrono::seconds(2);

  pid_t pid_ = -1;
  OutputDrain<asio::posix::stream_descriptor> drain_;
  asio::signal_set child_signals_;
  asio::steady_timer leftover_timer_;
  std::unique_ptr<LiveEngineTree> tree_;
  int stop_signal_ = SIGINT;
  std::string stop_signal_name_ = "SIGINT";
  std::chrono::seconds grace_{30};
  bool killed_before_exit_ = false;  // kill_tree() came while the engine ran
  bool reaped_ = false;    // the engine's wait status is in engine_status_
  bool exited_ = false;    // its exit is decoded; what it left is being stopped
  bool finished_ = false;  // its tree is done with; the exit is reported
  int engine_status_ = 0;
  EngineExit exit_;
  LeftoverPhase phase_ = LeftoverPhase::kNone;
  std::vector<ProcessEntry> left_;                      // running when the engine exited
  std::set<std::pair<long, std::uint64_t>> killed_;     // of those, the ones SIGKILL was sent to
};

}  // namespace

std::string EngineExit::signal_name() const {
  if (!signal) return "";
  for (const auto& known : kSignalNames) {
    if (known.number == *signal) return known.name;
  }
  return "SIG" + std::to_string(*signal);
}

int signal_number(std::string_view signal_name) {
  for (const auto& known : kSignalNames) {
    if (signal_name == known.name) return known.number;
  }
  return SIGINT;
}

bool ended_by_stop_signal(const EngineExit& exit, std::string_view signal_name) {
  return exit.signal && *exit.signal == signal_number(signal_name);
}

Result<std::unique_ptr<EngineProcess>> EngineProcess::spawn(EventLoop& loop,
                                                            const EngineSpec& spec,
                                                            OutputHandler on_output,
                                                            ExitHandler on_exit) {
  auto process =
      std::make_unique<PosixEngineProcess>(loop.context(), std::move(on_output), std::move(on_exit));
  if (auto started = process->start(spec); !started) return started.error();
  return std::unique_ptr<EngineProcess>(std::move(process));
}

}  // namespace es
