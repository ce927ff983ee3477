#include "supervisor/classify_exit.hpp"

#include <csignal>
#include <doctest/doctest.h>

using namespace es;

namespace {
EngineExit code(int c) { return EngineExit{c, std::nullopt}; }
EngineExit killed(int s) { return EngineExit{std::nullopt, s}; }
watch::State with(watch::StopCause cause, bool timed_out = false) {
  watch::State s;
  s.cause = cause;
  s.killed_after_grace = timed_out;
  return s;
}
}  // namespace

TEST_CASE("classify: a clean exit code is clean, with why the engine stopped") {
  const std::vector<int> clean{0, 3};
  auto v = classify_exit(code(0), with(watch::StopCause::kNone), clean);
  CHECK(v.outcome == "clean");
  CHECK(v.halt_reason == "engine_exit");
  CHECK(classify_exit(code(3), with(watch::StopCause::kStopRequested), clean).halt_reason ==
        "stop_requested");
  CHECK(classify_exit(code(0), with(watch::StopCause::kConsoleClosed), clean).halt_reason ==
        "console_closed");
}

TEST_CASE("classify: anything else is unclean, and a signal is never an exit code") {
  const std::vector<int> clean{0};
  auto v = classify_exit(code(3), with(watch::StopCause::kNone), clean);
  CHECK(v.outcome == "unclean");
  CHECK(v.halt_reason == "exit_code:3");
  CHECK(classify_exit(killed(SIGKILL), with(watch::StopCause::kNone), clean).halt_reason ==
        "signal:SIGKILL");
  CHECK(classify_exit(killed(SIGSEGV), with(watch::StopCause::kStopRequested), clean).halt_reason ==
        "signal:SIGSEGV");
  CHECK(classify_exit(killed(SIGKILL), with(watch::StopCause::kStopRequested, true), clean)
            .halt_reason == "stop_timeout_killed");
  CHECK(classify_exit(code(2), with(watch::StopCause::kConsoleClosed), clean).halt_reason ==
        "exit_code:2");
  // A closed window that the engine did not stop for in time: still why the run ended.
  const auto closed = classify_exit(killed(SIGKILL), with(watch::StopCause::kConsoleClosed, true), clean);
  CHECK(closed.outcome == "unclean");
  CHECK(closed.halt_reason == "console_closed");
}
