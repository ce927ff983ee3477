#include "supervisor/watch_machine.hpp"

#include <string>

namespace es::watch {

namespace {

// emplace, not push_back of a temporary: GCC 12 warns falsely
// (-Wmaybe-uninitialized) when moving a temporary variant into the vector.
template <class A, class... Args>
void add(std::vector<Action>& actions, Args&&... args) {
  actions.emplace_back(std::in_place_type<A>, std::forward<Args>(args)...);
}

std::string seconds_text(std::chrono::milliseconds wait) {
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(wait).count();
  return std::to_string(seconds) + " s";
}

// The actions that start step `index` of the plan.
void begin_step(State& state, std::size_t index, const StopPlan& plan,
                const std::string& stop_signal, std::vector<Action>& actions) {
  state.step = index;
  if (index >= plan.size()) return;
  const auto& step = plan[index];
  if (step.kind == StopStep::Kind::kSignal) {
    add<SendStop>(actions);
    state.stop_sent = true;
    add<Log>(actions, Log::Level::kInfo,
             "sent " + stop_signal + " to the engine; waiting up to " + seconds_text(step.wait) +
                 " for it to close its session and exit, then it will be killed. " +
                 (state.interrupted ? "Press Ctrl+C again to kill it now."
                                    : "Press Ctrl+C twice to kill it now."));
  } else {
    add<KillTree>(actions);
  }
  add<ArmTimer>(actions, index, step.wait);
}

Transition on_stop_requested(State state, const StopRequested& request, const StopPlan& plan,
                             const std::string& stop_signal) {
  std::vector<Action> actions;
  switch (state.phase) {
    case Phase::kRunning:
      state.phase = Phase::kStopping;
      state.cause = request.cause;
      state.interrupted = request.interrupt;
      add<Log>(actions, Log::Level::kInfo,
               "stop requested (" + request.source + "): stopping the engine");
      begin_step(state, 0, plan, stop_signal, actions);
      break;
    case Phase::kStopping:
      if (request.cause == StopCause::kConsoleClosed) state.cause = StopCause::kConsoleClosed;
      if (request.interrupt && state.interrupted && !state.killed_on_request &&
          !state.killed_after_grace) {
        state.killed_on_request = true;
        add<Log>(actions, Log::Level::kWarn,
                 "second Ctrl+C: killing the engine now; the run will be unclean");
        add<KillTree>(actions);
      } else if (request.interrupt && !state.interrupted) {
        // The stop came from SIGTERM or SIGHUP: this is the operator's
        // first Ctrl+C, not a second one.
        state.interrupted = true;
        add<Log>(actions, Log::Level::kInfo,
                 "already stopping the engine (" + request.source +
                     "); press Ctrl+C again to kill it now");
      } else {
        add<Log>(actions, Log::Level::kInfo,
                 "already stopping the engine (" + request.source + " ignored)");
      }
      break;
    case Phase::kExited:
      break;
  }
  return {state, actions};
}

Transition on_step_expired(State state, const StepExpired& expired, const StopPlan& plan,
                           const std::string& stop_signal) {
  std::vector<Action> actions;
  if (state.phase != Phase::kStopping || expired.step != state.step) return {state, actions};
  const std::size_t following = state.step + 1;
  if (following < plan.size()) {
    if (plan[following].kind == StopStep::Kind::kKill) {
      state.killed_after_grace = !state.killed_on_request;
      add<Log>(actions, Log::Level::kWarn,
               "the engine did not exit within " + seconds_text(plan[state.step].wait) + " of " +
                   stop_signal + ": killing its whole process tree");
    }
    begin_step(state, following, plan, stop_signal, actions);
  } else {
    add<Log>(actions, Log::Level::kError,
             "the engine is still not gone after being killed; still waiting for "
             "the OS to end it");
  }
  return {state, actions};
}

}  // namespace

StopPlan make_stop_plan(std::chrono::seconds grace) {
  return {{StopStep::Kind::kSignal, grace}, {StopStep::Kind::kKill, std::chrono::seconds(2)}};
}

Transition next(const State& state, const Event& event, const StopPlan& plan,
                const std::string& stop_signal) {
  if (const auto* request = std::get_if<StopRequested>(&event)) {
    return on_stop_requested(state, *request, plan, stop_signal);
  }
  if (const auto* expired = std::get_if<StepExpired>(&event)) {
    return on_step_expired(state, *expired, plan, stop_signal);
  }
  State exited = state;
  exited.phase = Phase::kExited;
  std::vector<Action> actions;
  add<CancelTimer>(actions);
  return {exited, actions};
}

}  // namespace es::watch
