// The viewer and its detached run (issue 15), end to end on POSIX with
// ui.console: viewer: the real binary, the real demo engine, a viewer killed
// as a closed window kills it. (Windows, where ui.console: auto splits, is
// checked under Wine by tests/windows/console_close_test.sh.)

#include <signal.h>

#include <doctest/doctest.h>

#include <regex>
#include <thread>

#include "common/run_history.hpp"
#include "support/run_fixture.hpp"

using namespace es;
using test::RunFixture;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

constexpr const char* kViewer = "ui:\n  console: viewer\n";

// The detached run's pid, from the viewer's first line.
int run_pid_of(const test::ChildProcess& viewer) {
  int pid = -1;
  test::wait_until(
      [&] {
        std::smatch match;
        const auto err = viewer.err_so_far();
        if (!std::regex_search(err, match, std::regex("the run is process ([0-9]+)"))) return false;
        pid = std::stoi(match[1]);
        return true;
      },
      20);
  return pid;
}

// Kills a detached run a failed test left behind (its engine dies with it).
struct KillAtEnd {
  int pid;
  ~KillAtEnd() {
    if (pid > 0 && test::process_alive(pid)) ::kill(pid, SIGKILL);
  }
};

struct ViewedRun {
  std::unique_ptr<test::ChildProcess> viewer;
  int run_pid = -1;
};

ViewedRun start_viewed_run(RunFixture& f, std::vector<std::string> engine_args, int grace) {
  f.configure(engine_args, grace, "", kViewer);
  ViewedRun started;
  started.viewer = std::make_unique<test::ChildProcess>(f.run_argv(),
                                                        test::ChildProcess::Options{f.dir.path()});
  started.run_pid = run_pid_of(*started.viewer);
  REQUIRE(started.run_pid > 0);
  REQUIRE(started.run_pid != started.viewer->pid());
  REQUIRE(test::wait_until([&] { return fs::exists(f.marker()); }, 20));
  REQUIRE(test::wait_until([&] { return test::count_rows(f.db(), "orders") > 2; }, 20));
  return started;
}

}  // namespace

TEST_CASE("viewer: the window closing (the viewer killed) stops the engine gracefully; the run "
          "finishes clean / console_closed with its post-session backup") {
  RunFixture f;
  auto viewed = start_viewed_run(f, {"--interval-ms", "20"}, 10);
  KillAtEnd cleanup{viewed.run_pid};
  const auto engine = f.engine_pid();
  viewed.viewer->send(SIGKILL);
  viewed.viewer->wait();
  REQUIRE(test::wait_until([&] { return !test::process_alive(viewed.run_pid); }, 30));
  CHECK_FALSE(test::process_alive(static_cast<int>(engine)));
  const auto summary = f.latest_summary();
  CHECK(summary["outcome"] == "clean");
  CHECK(summary["halt_reason"] == "console_closed");
  CHECK(summary["supervisor"]["exit_code"] == 0);
  CHECK(f.backups("post").size() == 1);
  const auto log = f.session_log();
  CHECK(log.find("demo-engine: stop requested") != std::string::npos);
  CHECK(log.find("the console window was closed") != std::string::npos);
  // Every committed transaction the engine printed is in the log, up to the last.
  const auto committed = test::count_rows(f.db(), "orders");
  CHECK(log.find("committed txn " + std::to_string(committed) + "\n") != std::string::npos);
}

TEST_CASE("viewer: after the window closed, an engine that ignores the stop gets the full "
          "stop_grace_seconds, not 5 s, and is then killed; history shows the run going on meanwhile") {
  RunFixture f;
  auto viewed = start_viewed_run(f, {"--ignore-stop"}, 7);
  KillAtEnd cleanup{viewed.run_pid};
  const auto closed = Clock::now();
  viewed.viewer->send(SIGKILL);
  // While the run stops the engine, `history` shows it going on without its window.
  REQUIRE(test::wait_until(
      [&] {
        return test::read_file(RunHistory::path_for(f.db())).find("stop_requested") !=
               std::string::npos;
      },
      10));
  const auto shown = test::run_command(
      {test::supervisor_binary(), "history", "--config", f.config().string()}, f.dir.path());
  CHECK(shown.out.find("running (window closed) console_closed") != std::string::npos);
  REQUIRE(test::wait_until([&] { return !test::process_alive(viewed.run_pid); }, 30));
  const auto took = Clock::now() - closed;
  CHECK(took >= std::chrono::seconds(7));
  CHECK(took < std::chrono::seconds(20));
  const auto summary = f.latest_summary();
  CHECK(summary["outcome"] == "unclean");
  CHECK(summary["halt_reason"] == "console_closed");
  CHECK(summary["engine"]["signal"] == "SIGKILL");
  // The history says why it was stopped.
  const auto history = RunHistory(RunHistory::path_for(f.db())).load();
  REQUIRE(history.runs.size() == 1);
  CHECK(history.runs.back().outcome == "unclean");
  CHECK(test::read_file(RunHistory::path_for(f.db())).find("\"reason\":\"console_closed\"") !=
        std::string::npos);
}

TEST_CASE("viewer: Ctrl+C in the window reaches the run as a stop request; the viewer shows "
          "the run's lines and exits with its code") {
  RunFixture f;
  auto viewed = start_viewed_run(f, {"--interval-ms", "20"}, 10);
  KillAtEnd cleanup{viewed.run_pid};
  viewed.viewer->send(SIGINT);
  const auto result = viewed.viewer->wait_for(30);
  REQUIRE(result.has_value());
  CHECK(result->exit_code == 0);
  CHECK_FALSE(test::process_alive(viewed.run_pid));
  CHECK(f.latest_summary()["halt_reason"] == "stop_requested");
  CHECK(result->out.find("[engine] committed txn 1\n") != std::string::npos);
  CHECK(result->out.find("[engine] demo-engine: stop requested") != std::string::npos);
  CHECK(result->err.find("post-session backup") != std::string::npos);
}

TEST_CASE("viewer: an engine that exits on its own ends the viewer with the run's exit code") {
  RunFixture f;
  f.configure({"--seconds", "0.3", "--exit-code", "3"}, 10, "", kViewer);
  const auto result = f.run();
  CHECK(result.exit_code == 1);
  CHECK(f.latest_summary()["halt_reason"] == "exit_code:3");
  CHECK(result.err.find("the run is process") != std::string::npos);
}

TEST_CASE("viewer: ui.console none, and auto on POSIX, keep the run in the process started") {
  RunFixture f;
  for (const std::string ui : {"ui:\n  console: none\n", ""}) {
    CAPTURE(ui);
    f.configure({"--seconds", "0.3"}, 10, "", ui);
    const auto result = f.run();
    CHECK(result.exit_code == 0);
    CHECK(result.err.find("the run is process") == std::string::npos);
  }
}
