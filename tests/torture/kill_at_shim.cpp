// kill_at_shim: an LD_PRELOAD library, built only for the torture suite, that
// kills the process it is loaded in with SIGKILL at the Nth file system call
// on a chosen file. It reaches the moments a timer cannot: a summary write
// lasts a millisecond, a backup's rename a few microseconds.
//
// It watches the calls that make a file durable or give it its name: fsync,
// fdatasync, rename, renameat, renameat2, link, linkat, unlink, unlinkat,
// remove. A call matches when the file name (the last path component; for an
// fd, the name /proc/self/fd gives) of any path it touches contains one of
// the patterns.
//
//   ES_KILL_AT_EXE=PATH     act only in the process whose /proc/self/exe is
//                           PATH (the supervisor), never in its children (the
//                           engine inherits LD_PRELOAD and must stay untouched)
//   ES_KILL_AT_MATCH=A|B    the patterns
//   ES_KILL_AT_CALL=N       SIGKILL at the Nth matching call; 0 or unset: never
//   ES_KILL_AT_WHEN=after   kill right after that call returns (default: before
//                           it runs)
//   ES_KILL_AT_TRACE=FILE   append "<n> <call> <name>" for every matching call,
//                           and "kill <n> <call> <name>" just before the kill
//
// This is the fault injector STYLE.md allows (a fault the OS cannot produce on
// demand); the production code has no test branch for it. Calls from any
// thread are counted in one atomic sequence. Around the real call it neither
// allocates nor takes a lock (fixed buffers; readlink, snprintf, open, write,
// close), so it is safe on any thread and after fork.

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>

namespace {

constexpr int kMaxPatterns = 8;
constexpr std::size_t kPatternBytes = 256;

struct Settings {
  bool active = false;
  long kill_at = 0;
  bool after = false;
  int pattern_count = 0;
  char patterns[kMaxPatterns][kPatternBytes] = {};
  char trace[PATH_MAX] = {};
};

Settings g_settings;
std::atomic<long> g_matches{0};

void copy_text(char* to, std::size_t size, const char* from) {
  std::strncpy(to, from, size - 1);
  to[size - 1] = '\0';
}

// Runs once when the library loads, before main: reads the environment into
// fixed buffers, so the intercepted calls never call getenv or allocate.
__attribute__((constructor)) void read_settings() {
  const char* exe = std::getenv("ES_KILL_AT_EXE");
  const char* match = std::getenv("ES_KILL_AT_MATCH");
  if (exe == nullptr || match == nullptr || *match == '\0') return;
  char self[PATH_MAX] = {};
  const ssize_t length = readlink("/proc/self/exe", self, sizeof self - 1);
  if (length <= 0 || std::strcmp(self, exe) != 0) return;

  const char* start = match;
  while (g_settings.pattern_count < kMaxPatterns) {
    const char* bar = std::strchr(start, '|');
    const std::size_t size = bar ? static_cast<std::size_t>(bar - start) : std::strlen(start);
    if (size > 0 && size < kPatternBytes) {
      std::memcpy(g_settings.patterns[g_settings.pattern_count++], start, size);
    }
    if (bar == nullptr) break;
    start = bar + 1;
  }
  if (const char* call = std::getenv("ES_KILL_AT_CALL")) g_settings.kill_at = std::atol(call);
  if (const char* when = std::getenv("ES_KILL_AT_WHEN")) {
    g_settings.after = std::strcmp(when, "after") == 0;
  }
  if (const char* trace = std::getenv("ES_KILL_AT_TRACE")) {
    copy_text(g_settings.trace, sizeof g_settings.trace, trace);
  }
  g_settings.active = g_settings.pattern_count > 0;
}

const char* base_name(const char* path) {
  const char* slash = std::strrchr(path, '/');
  return slash ? slash + 1 : path;
}

bool name_matches(const char* path) {
  if (path == nullptr) return false;
  const char* name = base_name(path);
  for (int i = 0; i < g_settings.pattern_count; ++i) {
    if (std::strstr(name, g_settings.patterns[i]) != nullptr) return true;
  }
  return false;
}

// The file an fd refers to, as /proc/self/fd shows it.
void fd_path(int fd, char* out, std::size_t size) {
  char link[64];
  std::snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  const ssize_t length = readlink(link, out, size - 1);
  out[length > 0 ? length : 0] = '\0';
}

void append_trace(const char* prefix, long number, const char* call, const char* path) {
  if (g_settings.trace[0] == '\0') return;
  char line[PATH_MAX + 128];
  const int size =
      std::snprintf(line, sizeof line, "%s%ld %s %s\n", prefix, number, call, base_name(path));
  const int fd = open(g_settings.trace, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return;
  if (size > 0) {
    [[maybe_unused]] const ssize_t written =
        write(fd, line,
              static_cast<std::size_t>(size) < sizeof line ? static_cast<std::size_t>(size)
                                                           : sizeof line - 1);
  }
  close(fd);
}

[[noreturn]] void kill_self(long number, const char* call, const char* path) {
  append_trace("kill ", number, call, path);
  kill(getpid(), SIGKILL);
  for (;;) pause();  // SIGKILL cannot be caught; this is never reached
}

// Counts a call on `path` if it matches; returns its number, or 0.
long count(const char* call, const char* path) {
  if (!g_settings.active || !name_matches(path)) return 0;
  const long number = ++g_matches;
  append_trace("", number, call, path);
  if (number == g_settings.kill_at && !g_settings.after) kill_self(number, call, path);
  return number;
}

template <class Result>
Result finish(long number, const char* call, const char* path, Result result) {
  if (number != 0 && number == g_settings.kill_at && g_settings.after) {
    kill_self(number, call, path);
  }
  return result;
}

struct FdName {
  char path[PATH_MAX] = {};
};

long count_fd(const char* call, int fd, FdName& name) {
  if (!g_settings.active) return 0;
  fd_path(fd, name.path, sizeof name.path);
  return count(call, name.path);
}

// Two paths (rename, link): one number for the call, by whichever matches.
long count_pair(const char* call, const char* from, const char* to) {
  if (!g_settings.active) return 0;
  return count(call, name_matches(from) ? from : to);
}

template <class Function>
Function real(const char* name) {
  // dlsym hands back a function as an object pointer; POSIX guarantees the
  // conversion works.
  return reinterpret_cast<Function>(dlsym(RTLD_NEXT, name));
}

}  // namespace

extern "C" {

int fsync(int fd) {
  static const auto next = real<int (*)(int)>("fsync");
  FdName name;
  const long number = count_fd("fsync", fd, name);
  return finish(number, "fsync", name.path, next(fd));
}

int fdatasync(int fd) {
  static const auto next = real<int (*)(int)>("fdatasync");
  FdName name;
  const long number = count_fd("fdatasync", fd, name);
  return finish(number, "fdatasync", name.path, next(fd));
}

int rename(const char* from, const char* to) {
  static const auto next = real<int (*)(const char*, const char*)>("rename");
  const long number = count_pair("rename", from, to);
  return finish(number, "rename", to, next(from, to));
}

int renameat(int from_dir, const char* from, int to_dir, const char* to) {
  static const auto next = real<int (*)(int, const char*, int, const char*)>("renameat");
  const long number = count_pair("renameat", from, to);
  return finish(number, "renameat", to, next(from_dir, from, to_dir, to));
}

int renameat2(int from_dir, const char* from, int to_dir, const char* to, unsigned flags) {
  static const auto next = real<int (*)(int, const char*, int, const char*, unsigned)>("renameat2");
  const long number = count_pair("renameat2", from, to);
  return finish(number, "renameat2", to, next(from_dir, from, to_dir, to, flags));
}

int link(const char* from, const char* to) {
  static const auto next = real<int (*)(const char*, const char*)>("link");
  const long number = count_pair("link", from, to);
  return finish(number, "link", to, next(from, to));
}

int linkat(int from_dir, const char* from, int to_dir, const char* to, int flags) {
  static const auto next = real<int (*)(int, const char*, int, const char*, int)>("linkat");
  const long number = count_pair("linkat", from, to);
  return finish(number, "linkat", to, next(from_dir, from, to_dir, to, flags));
}

int unlink(const char* path) {
  static const auto next = real<int (*)(const char*)>("unlink");
  const long number = count("unlink", path);
  return finish(number, "unlink", path, next(path));
}

int unlinkat(int dir, const char* path, int flags) {
  static const auto next = real<int (*)(int, const char*, int)>("unlinkat");
  const long number = count("unlinkat", path);
  return finish(number, "unlinkat", path, next(dir, path, flags));
}

int remove(const char* path) {
  static const auto next = real<int (*)(const char*)>("remove");
  const long number = count("remove", path);
  return finish(number, "remove", path, next(path));
}

}  // extern "C"
