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

TEST_CASE("issue 11.17: a death by the stop signal is clean only when listed and sent by the supervisor") {
  const std::vector<int> clean{0};
  const CleanStopRule listed{"SIGTERM", {"SIGTERM"}};
  auto sent = with(watch::StopCause::kStopRequested);
  sent.stop_sent = true;
  const auto ours = classify_exit(killed(SIGTERM), sent, clean, listed);
  CHECK(ours.outcome == "clean");
  CHECK(ours.halt_reason == "stop_requested");
  CHECK(ours.died_of_our_stop);
  auto hangup = with(watch::StopCause::kConsoleClosed);
  hangup.stop_sent = true;
  CHECK(classify_exit(killed(SIGTERM), hangup, clean, listed).halt_reason == "console_closed");
  // Not listed: our own stop, but unclean.
  const auto unlisted = classify_exit(killed(SIGTERM), sent, clean, {"SIGTERM", {}});
  CHECK(unlisted.outcome == "unclean");
  CHECK(unlisted.died_of_our_stop);
  // Someone else's SIGTERM, before any stop: unclean.
  const auto theirs = classify_exit(killed(SIGTERM), with(watch::StopCause::kNone), clean, listed);
  CHECK(theirs.halt_reason == "signal:SIGTERM");
  CHECK_FALSE(theirs.died_of_our_stop);
  // A kill of ours after the stop (second Ctrl+C) is never the stop itself.
  auto killed_now = sent;
  killed_now.killed_on_request = true;
  CHECK(classify_exit(killed(SIGTERM), killed_now, clean, listed).outcome == "unclean");
  // Another signal after our stop: unclean.
  CHECK(classify_exit(killed(SIGSEGV), sent, clean, listed).halt_reason == "signal:SIGSEGV");
}
