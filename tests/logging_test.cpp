// The supervisor's log, seen from outside: the real binary, the real demo
// engine, a real SIGKILL. What a killed supervisor logged is in its files,
// because no line waits in a user-space buffer (common/logging.hpp).

#include <signal.h>

#include <doctest/doctest.h>

#include "support/run_fixture.hpp"

using namespace es;
using test::RunFixture;
namespace fs = std::filesystem;

namespace {

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// The one session log a run made (its summary is never written when the
// supervisor is killed, so it cannot name it).
fs::path only_session_log(const RunFixture& f) {
  std::vector<fs::path> found;
  for (const auto& entry : fs::directory_iterator(f.dir / "logs")) {
    const auto name = entry.path().filename().string();
    if (name.starts_with("session-") && name.ends_with(".log")) found.push_back(entry.path());
  }
  REQUIRE(found.size() == 1);
  return found.front();
}

// Starts a run of an engine that runs until stopped, waits until `seen`
// holds on what the supervisor printed, then kills the supervisor with
// SIGKILL: no handler, no flush, no exit code of its own.
void kill_supervisor_when(RunFixture& f, const std::function<bool(test::ChildProcess&)>& seen) {
  f.configure({});
  test::ChildProcess run(f.run_argv(), {f.dir.path()});
  REQUIRE(test::wait_until([&] { return seen(run); }, 30));
  run.send(SIGKILL);
  CHECK(run.wait().signal == SIGKILL);
}

}  // namespace

TEST_CASE("logging: a supervisor killed with SIGKILL right after 'engine started' leaves that line "
          "in its session log and its main log") {
  RunFixture f;
  kill_supervisor_when(f, [](test::ChildProcess& run) {
    return contains(run.err_so_far(), "engine started, pid");
  });
  const auto session_log = only_session_log(f);
  const auto session = test::read_file(session_log);
  CAPTURE(session);
  // Every line the supervisor logged up to then, info lines included: a
  // line on the console is already in the files (they get it first).
  CHECK(contains(session, "[info] run "));
  CHECK(contains(session, "[info] engine started, pid"));
  const auto main_log = test::read_file(session_log.parent_path() / "engine-supervisor.log");
  CHECK(contains(main_log, "[info] engine started, pid"));
}

TEST_CASE("logging: a supervisor killed with SIGKILL right after it echoed an engine line leaves "
          "that line in its session log") {
  RunFixture f;
  kill_supervisor_when(f, [](test::ChildProcess& run) {
    return contains(run.out_so_far(), "[engine] committed txn ");
  });
  const auto session = test::read_file(only_session_log(f));
  CAPTURE(session);
  // The engine's lines reach the session log before the console echo.
  CHECK(contains(session, "[engine stdout] demo-engine: started pid="));
  CHECK(contains(session, "[engine stdout] committed txn "));
}
