// The detached run on POSIX: posix_spawn in a session of its own.

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "common/os_info.hpp"
#include "supervisor/platform/run_detach.hpp"

extern char** environ;

namespace es {

bool viewer_by_default() { return false; }

namespace {

// One end of a pipe; closed once.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) {
      reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  ~Fd() { reset(); }
  int get() const { return fd_; }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

struct Pipe {
  Fd read, write;
};

Result<Pipe> make_pipe() {
  int fds[2];
  // Close-on-exec: only the ends dup2'ed onto 0, 1 and 2 reach the run.
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    return Error{ExitCode::kIoError,
                 std::string("cannot create a pipe for the detached run: ") + std::strerror(errno)};
  }
  return Pipe{Fd(fds[0]), Fd(fds[1])};
}

class PosixDetachedRun final : public DetachedRun {
 public:
  PosixDetachedRun(pid_t pid, Fd out, Fd err, Fd channel)
      : pid_(pid), out_(std::move(out)), err_(std::move(err)), channel_(std::move(channel)) {}

  long pid() const override { return pid_; }

  std::size_t read_output(ConsoleStream stream, char* buffer, std::size_t size) override {
    const int fd = stream == ConsoleStream::kOut ? out_.get() : err_.get();
    for (;;) {
      const auto count = ::read(fd, buffer, size);
      if (count < 0 && errno == EINTR) continue;
      return count > 0 ? static_cast<std::size_t>(count) : 0;
    }
  }

  bool send(char byte) override {
    for (;;) {
      const auto written = ::write(channel_.get(), &byte, 1);
      if (written < 0 && errno == EINTR) continue;
      return written == 1;
    }
  }

  int wait() override {
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0) {
      if (errno != EINTR) return 1;
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

 private:
  pid_t pid_;
  Fd out_, err_, channel_;
};

}  // namespace

Result<std::unique_ptr<DetachedRun>> DetachedRun::start(const std::vector<std::string>& arguments) {
  // A run that is gone makes our next send() fail with EPIPE; it must not
  // end the viewer with SIGPIPE before it has shown the run's last lines.
  ::signal(SIGPIPE, SIG_IGN);
  auto out = make_pipe();
  if (!out) return out.error();
  auto err = make_pipe();
  if (!err) return err.error();
  auto channel = make_pipe();
  if (!channel) return channel.error();

  posix_spawn_file_actions_t actions;
  ::posix_spawn_file_actions_init(&actions);
  ::posix_spawn_file_actions_adddup2(&actions, channel->read.get(), 0);
  ::posix_spawn_file_actions_adddup2(&actions, out->write.get(), 1);
  ::posix_spawn_file_actions_adddup2(&actions, err->write.get(), 2);
  posix_spawnattr_t attributes;
  ::posix_spawnattr_init(&attributes);
  // A session of its own: no controlling terminal, so the terminal's hang-up
  // (SIGHUP) and its Ctrl+C never reach the run; the viewer forwards them.
  // A clean signal mask and default dispositions: ours (SIGPIPE ignored just
  // above) are the viewer's business.
  sigset_t none, all;
  ::sigemptyset(&none);
  ::sigfillset(&all);
  ::posix_spawnattr_setsigmask(&attributes, &none);
  ::posix_spawnattr_setsigdefault(&attributes, &all);
  ::posix_spawnattr_setflags(&attributes,
                             POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  const std::string program = executable_path().string();
  std::vector<std::string> argv_text{program};
  argv_text.insert(argv_text.end(), arguments.begin(), arguments.end());
  std::vector<char*> argv;
  for (auto& argument : argv_text) argv.push_back(argument.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  const int spawned = ::posix_spawn(&pid, program.c_str(), &actions, &attributes, argv.data(),
                                    environ);
  ::posix_spawn_file_actions_destroy(&actions);
  ::posix_spawnattr_destroy(&attributes);
  if (spawned != 0) {
    return Error{ExitCode::kIoError, "cannot start the detached run (" + program +
                                         "): " + std::strerror(spawned)};
  }
  return std::unique_ptr<DetachedRun>(std::make_unique<PosixDetachedRun>(
      pid, std::move(out->read), std::move(err->read), std::move(channel->write)));
}

void prepare_detached_run() {
  // The viewer may be gone (its window closed): a write to its pipe then
  // fails with EPIPE instead of killing the run. The engine gets default
  // dispositions back when it is spawned.
  ::signal(SIGPIPE, SIG_IGN);
}

std::size_t read_viewer_channel(char* buffer, std::size_t size) {
  for (;;) {
    const auto count = ::read(0, buffer, size);
    if (count < 0 && errno == EINTR) continue;
    return count > 0 ? static_cast<std::size_t>(count) : 0;
  }
}

}  // namespace es
