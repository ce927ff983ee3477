#include "supervisor/watch_machine.hpp"

#include <doctest/doctest.h>

using namespace es::watch;
using namespace std::chrono_literals;

namespace {

const StopPlan kPlan = make_stop_plan(30s);

template <class A>
int count(const Transition& t) {
  int n = 0;
  for (const auto& action : t.actions) n += std::holds_alternative<A>(action) ? 1 : 0;
  return n;
}

const ArmTimer* timer(const Transition& t) {
  for (const auto& action : t.actions) {
    if (const auto* arm = std::get_if<ArmTimer>(&action)) return arm;
  }
  return nullptr;
}

Transition step(const State& s, const Event& e) { return next(s, e, kPlan, "SIGINT"); }

const StopRequested kCtrlC{StopCause::kStopRequested, true, "SIGINT"};
const StopRequested kTerm{StopCause::kStopRequested, false, "SIGTERM"};
const StopRequested kHangup{StopCause::kConsoleClosed, false, "SIGHUP"};

}  // namespace

TEST_CASE("watch: the stop plan is the stop signal with the grace period, then a kill") {
  REQUIRE(kPlan.size() == 2);
  CHECK(kPlan[0].kind == StopStep::Kind::kSignal);
  CHECK(kPlan[0].wait == 30s);
  CHECK(kPlan[1].kind == StopStep::Kind::kKill);
}

TEST_CASE("watch: a stop request sends the stop signal and arms the grace timer") {
  const auto t = step(State{}, kTerm);
  CHECK(t.state.phase == Phase::kStopping);
  CHECK(t.state.cause == StopCause::kStopRequested);
  CHECK(count<SendStop>(t) == 1);
  CHECK(count<KillTree>(t) == 0);
  REQUIRE(timer(t));
  CHECK(timer(t)->after == 30s);
  CHECK(timer(t)->step == 0);
  CHECK(count<Log>(t) >= 1);
}

TEST_CASE("watch: SIGHUP is a stop request that records the console closing") {
  const auto t = step(State{}, kHangup);
  CHECK(t.state.cause == StopCause::kConsoleClosed);
  CHECK(count<SendStop>(t) == 1);
}

TEST_CASE("watch: the grace period running out kills the tree and marks the timeout") {
  const auto stopping = step(State{}, kTerm).state;
  const auto t = step(stopping, StepExpired{0});
  CHECK(count<KillTree>(t) == 1);
  CHECK(t.state.killed_after_grace);
  CHECK(t.state.step == 1);
  REQUIRE(timer(t));
  CHECK(timer(t)->step == 1);
}

TEST_CASE("watch: a stale timer and a timer while running change nothing") {
  const auto stopping = step(step(State{}, kTerm).state, StepExpired{0}).state;
  const auto stale = step(stopping, StepExpired{0});
  CHECK(stale.actions.empty());
  CHECK(step(State{}, StepExpired{0}).actions.empty());
}

TEST_CASE("watch: a second Ctrl+C kills now, a second SIGTERM does not") {
  const auto stopping = step(State{}, kCtrlC).state;
  const auto term_again = step(stopping, kTerm);
  CHECK(count<KillTree>(term_again) == 0);
  const auto ctrl_c_again = step(stopping, kCtrlC);
  CHECK(count<KillTree>(ctrl_c_again) == 1);
  CHECK(ctrl_c_again.state.killed_on_request);
  CHECK_FALSE(ctrl_c_again.state.killed_after_grace);
  // The grace timer that then runs out does not turn it into a timeout.
  CHECK_FALSE(step(ctrl_c_again.state, StepExpired{0}).state.killed_after_grace);
}

TEST_CASE("issue 11 (small): after a stop by SIGTERM or SIGHUP, a single Ctrl+C does not kill; a second one does") {
  for (const auto& first : {kTerm, kHangup}) {
    const auto stopping = step(State{}, first).state;
    CHECK(stopping.stop_sent);
    const auto one = step(stopping, kCtrlC);
    CHECK(count<KillTree>(one) == 0);
    CHECK_FALSE(one.state.killed_on_request);
    const auto two = step(one.state, kCtrlC);
    CHECK(count<KillTree>(two) == 1);
    CHECK(two.state.killed_on_request);
  }
}

TEST_CASE("watch: the engine exiting ends the watch and cancels the timer, in any phase") {
  for (const State& s : {State{}, step(State{}, kTerm).state}) {
    const auto t = step(s, EngineExited{});
    CHECK(t.state.phase == Phase::kExited);
    CHECK(count<CancelTimer>(t) == 1);
    CHECK(count<SendStop>(t) == 0);
  }
  // Nothing is sent to an engine that is gone.
  State exited;
  exited.phase = Phase::kExited;
  CHECK(step(exited, kTerm).actions.empty());
}
