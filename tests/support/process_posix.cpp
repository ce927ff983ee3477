#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <thread>

#include "support/test_db.hpp"

// Child processes for tests, POSIX only: fork/exec with output to files.

namespace es::test {
namespace fs = std::filesystem;

namespace {
CommandResult run(const std::vector<std::string>& argv, const fs::path& cwd, bool drop_root) {
  // Output goes to files, not pipes, so a chatty child can never block on us.
  char out_template[] = "/tmp/es-cmd-out-XXXXXX";
  char err_template[] = "/tmp/es-cmd-err-XXXXXX";
  const int out_fd = mkstemp(out_template);
  const int err_fd = mkstemp(err_template);
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(out_fd, 1);
    dup2(err_fd, 2);
    const int null_fd = open("/dev/null", O_RDONLY);
    dup2(null_fd, 0);
    if (chdir(cwd.c_str()) != 0) _exit(127);
    constexpr uid_t kNobody = 65534;
    if (drop_root && getuid() == 0 && (setgid(kNobody) != 0 || setuid(kNobody) != 0)) _exit(126);
    std::vector<char*> args;
    for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  close(out_fd);
  close(err_fd);
  CommandResult result;
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
  result.out = read_file(out_template);
  result.err = read_file(err_template);
  fs::remove(out_template);
  fs::remove(err_template);
  return result;
}

}  // namespace

CommandResult run_command(const std::vector<std::string>& argv, const fs::path& cwd) {
  return run(argv, cwd, false);
}

CommandResult run_command_unprivileged(const std::vector<std::string>& argv, const fs::path& cwd) {
  return run(argv, cwd, true);
}

ChildProcess::ChildProcess(const std::vector<std::string>& argv, Options options) {
  char out_template[] = "/tmp/es-child-out-XXXXXX";
  char err_template[] = "/tmp/es-child-err-XXXXXX";
  int out_fd = mkstemp(out_template);
  int err_fd = mkstemp(err_template);
  out_file_ = out_template;
  err_file_ = err_template;
  int pipe_fds[2] = {-1, -1};
  if (options.output_to_unread_pipe && pipe(pipe_fds) == 0) pipe_read_ = pipe_fds[0];
  pid_ = fork();
  if (pid_ == 0) {
    if (pipe_read_ >= 0) {
      dup2(pipe_fds[1], 1);
      dup2(pipe_fds[1], 2);
    } else {
      dup2(out_fd, 1);
      dup2(err_fd, 2);
    }
    const int null_fd = open("/dev/null", O_RDONLY);
    dup2(null_fd, 0);
    if (chdir(options.cwd.c_str()) != 0) _exit(127);
    std::vector<char*> args;
    for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  if (pipe_fds[1] >= 0) close(pipe_fds[1]);
  close(out_fd);
  close(err_fd);
}

ChildProcess::~ChildProcess() {
  if (!result_ && pid_ > 0) {
    kill(pid_, SIGKILL);
    wait();
  }
  if (pipe_read_ >= 0) close(pipe_read_);
  std::error_code ec;
  fs::remove(out_file_, ec);
  fs::remove(err_file_, ec);
}

void ChildProcess::send(int signal) const { kill(pid_, signal); }

std::optional<CommandResult> ChildProcess::wait_for(double seconds) {
  if (result_) return result_;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  int status = 0;
  for (;;) {
    const pid_t got = waitpid(pid_, &status, WNOHANG);
    if (got == pid_) break;
    if (std::chrono::steady_clock::now() > deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  CommandResult result;
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
  result.out = read_file(out_file_);
  result.err = read_file(err_file_);
  result_ = result;
  return result_;
}

std::string ChildProcess::out_so_far() const { return read_file(out_file_); }

std::string ChildProcess::err_so_far() const { return read_file(err_file_); }

CommandResult ChildProcess::wait() { return *wait_for(1e9); }

bool wait_until(const std::function<bool()>& predicate, double seconds) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    if (predicate()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return predicate();
}

bool process_alive(int pid) {
  const auto stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  if (stat.empty()) return false;
  const auto close_paren = stat.rfind(')');
  return close_paren != std::string::npos && close_paren + 2 < stat.size() &&
         stat[close_paren + 2] != 'Z' && stat[close_paren + 2] != 'X';
}

}  // namespace es::test
