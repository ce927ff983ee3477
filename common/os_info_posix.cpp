#include <signal.h>
#include <unistd.h>

#include <cerrno>

#include "common/os_info.hpp"

namespace es {

long current_process_id() { return static_cast<long>(::getpid()); }

bool process_exists(long pid) {
  return pid > 0 && (::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM);
}

std::filesystem::path executable_path() {
  std::error_code ec;
  auto path = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::filesystem::path() : path;
}

ShellStyle operator_shell_style() { return ShellStyle::kPosix; }

bool stream_is_terminal(int fd) { return ::isatty(fd) == 1; }

std::vector<std::string> utf8_arguments(int argc, char** argv) {
  return std::vector<std::string>(argv, argv + argc);
}

bool console_is_own() { return ::getsid(0) == ::getpid() && ::isatty(0) == 1; }

}  // namespace es
