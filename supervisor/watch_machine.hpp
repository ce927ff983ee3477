#pragma once
// Watching the engine, as a pure transition function: next(State, Event)
// returns the new state and the actions to carry out. No I/O, no clocks; the
// driver (watch_driver.cpp) performs the actions on the event loop and feeds
// their results back as events. Tested as a table, without processes.
//
// Stop escalation is data: a StopPlan of steps (send the stop signal and
// wait the grace period; kill the tree and wait), walked one step per
// expired timer.

#include <chrono>
#include <string>
#include <variant>
#include <vector>

namespace es::watch {

enum class Phase { kRunning, kStopping, kExited };

enum class StopCause { kNone, kStopRequested, kConsoleClosed };

struct StopStep {
  enum class Kind { kSignal, kKill } kind;
  std::chrono::milliseconds wait;
};
using StopPlan = std::vector<StopStep>;

StopPlan make_stop_plan(std::chrono::seconds grace);

struct State {
  Phase phase = Phase::kRunning;
  StopCause cause = StopCause::kNone;
  std::size_t step = 0;            // index into the StopPlan while stopping
  bool killed_after_grace = false;  // the engine outstayed the grace period
  bool killed_on_request = false;   // a second Ctrl+C: "kill now"
  // The stop signal was sent: a death by it is then the supervisor's own
  // stop (engine.clean_stop_signals), not someone else's.
  bool stop_sent = false;
  // A Ctrl+C came during this stop: only a further one means "kill now".
  // A stop by SIGTERM or SIGHUP has had no Ctrl+C yet.
  bool interrupted = false;
};

// Events.
struct StopRequested {
  StopCause cause;
  bool interrupt = false;  // Ctrl+C (SIGINT / CTRL_C): a second one kills at once
  std::string source;      // "SIGINT", "SIGHUP", "CTRL_CLOSE", …, for the log
};
struct StepExpired {
  std::size_t step;  // the step whose wait ran out; stale ones are ignored
};
struct EngineExited {};
using Event = std::variant<StopRequested, StepExpired, EngineExited>;

// Actions.
struct SendStop {};
struct KillTree {};
struct ArmTimer {
  std::size_t step = 0;
  std::chrono::milliseconds after{0};
};
struct CancelTimer {};
struct Log {
  enum class Level { kInfo, kWarn, kError } level = Level::kInfo;
  std::string message;
};
using Action = std::variant<SendStop, KillTree, ArmTimer, CancelTimer, Log>;

struct Transition {
  State state;
  std::vector<Action> actions;
};

// `stop_signal` is named in log lines only ("sending SIGINT …").
Transition next(const State& state, const Event& event, const StopPlan& plan,
                const std::string& stop_signal);

}  // namespace es::watch
