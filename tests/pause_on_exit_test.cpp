#include "supervisor/pause_on_exit.hpp"

#include <poll.h>
#include <pty.h>
#include <sys/wait.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include <thread>

#include "support/run_fixture.hpp"

using namespace es;

TEST_CASE("pause: only on a non-zero exit with a terminal, and as the setting says") {
  CHECK(should_pause(PauseOnExit::kAlways, true, true, false));
  CHECK_FALSE(should_pause(PauseOnExit::kAlways, false, true, true));  // success never pauses
  CHECK_FALSE(should_pause(PauseOnExit::kAlways, true, false, true));  // no terminal: never
  CHECK(should_pause(PauseOnExit::kAuto, true, true, true));
  CHECK_FALSE(should_pause(PauseOnExit::kAuto, true, true, false));
  CHECK_FALSE(should_pause(PauseOnExit::kNever, true, true, true));
}

namespace {

// `engine-supervisor run` in a terminal of its own (forkpty makes it the
// session leader, as a desktop shortcut's console would), read until it asks
// for Enter or 30 s pass.
struct OwnTerminalRun {
  int terminal = -1;
  pid_t pid = -1;
  std::string screen;

  explicit OwnTerminalRun(const std::vector<std::string>& argv) {
    pid = forkpty(&terminal, nullptr, nullptr, nullptr);
    if (pid == 0) {
      execl(argv[0].c_str(), argv[0].c_str(), argv[1].c_str(), argv[2].c_str(),
            argv[3].c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    REQUIRE(pid > 0);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (screen.find("Press Enter") == std::string::npos &&
           std::chrono::steady_clock::now() < deadline) {
      pollfd ready{terminal, POLLIN, 0};
      if (poll(&ready, 1, 100) <= 0) continue;
      char buffer[4096];
      const auto got = read(terminal, buffer, sizeof buffer);
      if (got <= 0) break;
      screen.append(buffer, static_cast<std::size_t>(got));
    }
  }

  // Checks that it is still waiting, presses Enter, and returns the exit code.
  int press_enter_after_wait() {
    int status = 0;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    CHECK(waitpid(pid, &status, WNOHANG) == 0);
    REQUIRE(write(terminal, "\n", 1) == 1);
    waitpid(pid, &status, 0);
    close(terminal);
    REQUIRE(WIFEXITED(status));
    return WEXITSTATUS(status);
  }
};

}  // namespace

TEST_CASE("pause: a failed run in its own terminal shows why and waits for Enter") {
  test::RunFixture f;
  f.configure({"--seconds", "0.2", "--exit-code", "3"}, 10, "", "ui:\n  pause_on_exit: always\n");
  OwnTerminalRun run(f.run_argv());
  CHECK(run.screen.find("outcome:     unclean") != std::string::npos);
  CHECK(run.screen.find("why:         exit_code:3") != std::string::npos);
  CHECK(run.screen.find("good backup: " + (f.dir / "backups").string()) != std::string::npos);
  REQUIRE(run.screen.find("Press Enter") != std::string::npos);
  CHECK(run.press_enter_after_wait() == 1);
}

TEST_CASE("pause: a config error in its own terminal shows the error and waits for Enter") {
  // The config cannot be read, so its ui.pause_on_exit neither: the default,
  // auto, holds, and this terminal is the run's own.
  test::RunFixture f;
  test::write_file(f.config(), "database: {path: live.db}\nengine: {command: [x], stop_grace_seconds: 0}\n");
  OwnTerminalRun run(f.run_argv());
  CHECK(run.screen.find("key 'engine.stop_grace_seconds'") != std::string::npos);
  CHECK(run.screen.find("stopped with exit code 78") != std::string::npos);
  REQUIRE(run.screen.find("Press Enter") != std::string::npos);
  CHECK(run.press_enter_after_wait() == 78);
}

TEST_CASE("pause: never waits when stdin is not a terminal, as in a scheduled task") {
  test::RunFixture f;
  f.configure({"--seconds", "0.2", "--exit-code", "3"}, 10, "", "ui:\n  pause_on_exit: always\n");
  test::ChildProcess run(f.run_argv(), {f.dir.path()});
  const auto result = run.wait_for(20);
  REQUIRE(result.has_value());
  CHECK(result->exit_code == 1);
  CHECK(result->err.find("Press Enter") == std::string::npos);
}
