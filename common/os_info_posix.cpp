#include <signal.h>
#include <unistd.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <cerrno>
#include <cstdlib>
#include <string_view>

#include "common/os_info.hpp"

namespace es {

long current_process_id() { return static_cast<long>(::getpid()); }

void release_free_memory() {
#if defined(__GLIBC__)
  ::malloc_trim(0);
#endif
}

bool process_exists(long pid) {
  return pid > 0 && (::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM);
}

std::filesystem::path find_on_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::string_view folders = path ? path : "/usr/local/bin:/usr/bin:/bin";
  while (true) {
    const auto colon = folders.find(':');
    const auto folder = folders.substr(0, colon);
    const auto candidate = std::filesystem::path(folder.empty() ? "." : std::string(folder)) / name;
    if (::access(candidate.c_str(), X_OK) == 0 && std::filesystem::is_regular_file(candidate)) {
      return candidate;
    }
    if (colon == std::string_view::npos) return {};
    folders.remove_prefix(colon + 1);
  }
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
