// es-bench-engine: the engine the lifecycle benchmarks supervise, under
// engine-supervisor and under supervisord alike. It does nothing but what a
// benchmark times, and stamps each moment with CLOCK_MONOTONIC (the clock
// Python's time.monotonic_ns() reads), so the harness can subtract its own
// stamps from the engine's.
//
// Usage: es-bench-engine --stamps FILE [--seconds S] [--flood-bytes N]
//   --stamps FILE      append "<event> <monotonic ns>" lines to FILE:
//                      start <pid> (first instruction of main), stop <signal>
//                      (stamped inside the signal handler), flood-begin,
//                      flood-end
//   --seconds S        exit 0 after S seconds; 0 = at once; default: wait
//                      for SIGINT, SIGTERM or SIGHUP, then exit 0
//   --flood-bytes N    write N bytes of 100-byte lines to stdout as fast as
//                      stdio allows, then exit 0
//
// POSIX only, like the benchmarks. The stop handler calls only
// async-signal-safe functions (clock_gettime, write, _exit).

#include <fcntl.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {

int g_stamps = -1;

// Formats without allocation or locale, so the signal handler may call it.
void stamp(const char* event, long extra = -1) {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  const long long ns = static_cast<long long>(now.tv_sec) * 1000000000LL + now.tv_nsec;
  char line[96];
  std::size_t n = 0;
  for (const char* p = event; *p != '\0' && n < 40; ++p) line[n++] = *p;
  line[n++] = ' ';
  char digits[24];
  int d = 0;
  long long v = ns;
  do {
    digits[d++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v > 0);
  while (d > 0) line[n++] = digits[--d];
  if (extra >= 0) {
    line[n++] = ' ';
    d = 0;
    long e = extra;
    do {
      digits[d++] = static_cast<char>('0' + e % 10);
      e /= 10;
    } while (e > 0);
    while (d > 0) line[n++] = digits[--d];
  }
  line[n++] = '\n';
  if (g_stamps >= 0) (void)!write(g_stamps, line, n);
}

extern "C" void on_stop(int sig) {
  stamp("stop", sig);
  _exit(0);
}

// Each line is "flood <16-digit sequence> xxx...\n", 100 bytes. The sequence
// is counted up in place: the engine's own cost stays small beside the
// consumer's, which is what the benchmark compares.
void flood(unsigned long long bytes) {
  static char buffer[1 << 16];
  std::setvbuf(stdout, buffer, _IOFBF, sizeof buffer);
  char line[100];
  std::memset(line, 'x', sizeof line);
  std::memcpy(line, "flood 0000000000000000 ", 23);
  line[sizeof line - 1] = '\n';
  stamp("flood-begin");
  for (unsigned long long written = 0; written < bytes; written += sizeof line) {
    std::fwrite(line, 1, sizeof line, stdout);
    for (int i = 21; i >= 6 && ++line[i] > '9'; --i) line[i] = '0';
  }
  std::fflush(stdout);
  stamp("flood-end");
}

}  // namespace

int main(int argc, char** argv) {
  // The first instruction: the start-up benchmark measures up to here.
  timespec first{};
  clock_gettime(CLOCK_MONOTONIC, &first);

  const char* stamps = nullptr;
  double seconds = -1;
  unsigned long long flood_bytes = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--stamps") {
      stamps = argv[i + 1];
    } else if (flag == "--seconds") {
      seconds = std::strtod(argv[i + 1], nullptr);
    } else if (flag == "--flood-bytes") {
      flood_bytes = std::strtoull(argv[i + 1], nullptr, 10);
    } else {
      std::fprintf(stderr, "es-bench-engine: unknown flag %s\n", argv[i]);
      return 2;
    }
  }
  if (stamps == nullptr) {
    std::fprintf(stderr, "usage: es-bench-engine --stamps FILE [--seconds S] [--flood-bytes N]\n");
    return 2;
  }
  g_stamps = open(stamps, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (g_stamps < 0) {
    std::perror(stamps);
    return 1;
  }
  {
    char line[64];
    const int n = std::snprintf(line, sizeof line, "start %lld %ld\n",
                                static_cast<long long>(first.tv_sec) * 1000000000LL + first.tv_nsec,
                                static_cast<long>(getpid()));
    (void)!write(g_stamps, line, static_cast<std::size_t>(n));
  }

  struct sigaction action {};
  action.sa_handler = on_stop;
  sigemptyset(&action.sa_mask);
  for (const int sig : {SIGINT, SIGTERM, SIGHUP}) sigaction(sig, &action, nullptr);

  std::printf("es-bench-engine: started pid=%ld\n", static_cast<long>(getpid()));
  std::fflush(stdout);
  if (flood_bytes > 0) {
    flood(flood_bytes);
    return 0;
  }
  if (seconds >= 0) {
    const timespec wait{static_cast<time_t>(seconds),
                        static_cast<long>((seconds - static_cast<time_t>(seconds)) * 1e9)};
    nanosleep(&wait, nullptr);
    return 0;
  }
  for (;;) pause();
}
