// Linux parity for issue 15: a terminal that closes under a supervised run.
// A real pty, hung up by closing its master side (what a terminal emulator
// does when its window closes), with the supervisor on the pty's slave side.

#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include <thread>

#include "common/run_history.hpp"
#include "support/run_fixture.hpp"

using namespace es;
using test::RunFixture;
namespace fs = std::filesystem;

namespace {

// An engine that notes a SIGHUP of its own in a file, and on SIGINT (the
// supervisor's stop) prints 30 more lines over about a second before it
// exits 0: the supervisor echoes them to the dead terminal (EIO) while the
// run still has its post-session steps ahead.
constexpr const char* kEngine = R"(trap 'echo hup > engine-got-sighup' HUP
trap 'i=1; while [ $i -le 30 ]; do echo "engine stopping $i"; i=$((i+1)); sleep 0.03; done; echo "engine closed its session"; exit 0' INT
echo "engine up"
while :; do echo tick; sleep 0.1; done
)";

// Reads the pty until `text` has appeared (or `seconds` passed).
bool read_until(int master, const std::string& text, double seconds) {
  std::string seen;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd ready{master, POLLIN, 0};
    if (::poll(&ready, 1, 100) <= 0) continue;
    char buffer[4096];
    const auto count = ::read(master, buffer, sizeof buffer);
    if (count <= 0) return false;
    seen.append(buffer, static_cast<std::size_t>(count));
    if (seen.find(text) != std::string::npos) return true;
  }
  return false;
}

long supervisor_pid(const RunFixture& f) {
  const auto runs = RunHistory(RunHistory::path_for(f.db())).load().runs;
  if (runs.empty()) return -1;
  const auto pid = runs.back().started.find("supervisor_pid");
  return pid != runs.back().started.end() ? pid->get<long>() : -1;
}

}  // namespace

TEST_CASE("terminal hang-up: the run stops the engine gracefully (console_closed); the engine, "
          "in its own process group, gets no SIGHUP; writes to the dead terminal do not end "
          "the run") {
  RunFixture f;
  test::write_file(f.dir / "engine.sh", kEngine);
  const std::string config_text = "database:\n  path: live.db\n  backup_dir: backups\nengine:\n"
                                  "  command: [/bin/sh, engine.sh]\n  stop_grace_seconds: 10\n"
                                  "summary:\n  dir: logs\nlogging:\n  dir: logs\n";
  const auto config = f.config().string();
  const auto supervisor = test::supervisor_binary();
  // The supervisor leads the terminal's session (a terminal emulator ran
  // it), or a shell does and the supervisor is its foreground job; or, with
  // ui.console: viewer, only a viewer is on the terminal: it says goodbye on
  // SIGHUP, and the run it shows, in a session of its own, stops as well.
  const std::string shell_line = "'" + supervisor + "' run --config '" + config + "'; echo ended";
  for (const std::string how : {"leads", "under_shell", "viewer"}) {
    CAPTURE(how);
    const bool under_shell = how == "under_shell";
    test::write_file(f.config(),
                     config_text + (how == "viewer" ? "ui:\n  console: viewer\n" : ""));
    fs::remove_all(f.dir / "logs");
    int master = -1;
    const pid_t child = ::forkpty(&master, nullptr, nullptr, nullptr);
    REQUIRE(child >= 0);
    if (child == 0) {
      if (::chdir(f.dir.path().c_str()) != 0) ::_exit(127);
      if (under_shell) {
        ::execl("/bin/sh", "sh", "-c", shell_line.c_str(), static_cast<char*>(nullptr));
      } else {
        ::execl(supervisor.c_str(), supervisor.c_str(), "run", "--config", config.c_str(),
                static_cast<char*>(nullptr));
      }
      ::_exit(127);
    }
    REQUIRE(read_until(master, "[engine] tick", 30));
    const long pid = supervisor_pid(f);
    REQUIRE(pid > 0);
    ::close(master);  // the window closes

    REQUIRE(test::wait_until([&] { return !test::process_alive(static_cast<int>(pid)); }, 30));
    int status = 0;
    REQUIRE(test::wait_until([&] { return ::waitpid(child, &status, WNOHANG) == child; }, 10));
    if (how == "leads") {
      CHECK(WIFEXITED(status));
      CHECK(WEXITSTATUS(status) == 0);
    }
    CHECK_FALSE(fs::exists(f.dir / "engine-got-sighup"));
    const auto summary = f.latest_summary();
    CHECK(summary["outcome"] == "clean");
    CHECK(summary["halt_reason"] == "console_closed");
    CHECK(summary["engine"]["exit_code"] == 0);
    CHECK(summary["db_health"]["post_session_backup"].is_string());
    const auto log = f.session_log();
    CHECK(log.find(how == "viewer" ? "the console window was closed"
                                   : "SIGHUP: the terminal was closed") != std::string::npos);
    CHECK(log.find("engine stopping 30") != std::string::npos);
    CHECK(log.find("engine closed its session") != std::string::npos);
    CHECK(log.find("post-session backup") != std::string::npos);
  }
}
