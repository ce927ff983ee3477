#include "supervisor/classify_exit.hpp"

#include <algorithm>

namespace es {

namespace {

// Why the engine was asked to stop, for a clean end after the request.
std::string stop_reason(watch::StopCause cause) {
  return cause == watch::StopCause::kConsoleClosed ? "console_closed" : "stop_requested";
}

// The engine died of the stop signal the supervisor sent, and no kill of
// the supervisor's (a second Ctrl+C, the grace running out) came after it.
bool died_of_our_stop(const EngineExit& exit, const watch::State& watch,
                      const CleanStopRule& rule) {
  return watch.stop_sent && !watch.killed_on_request && !watch.killed_after_grace &&
         !rule.stop_signal.empty() && ended_by_stop_signal(exit, rule.stop_signal);
}

}  // namespace

SessionVerdict classify_exit(const EngineExit& exit, const watch::State& watch,
                             const std::vector<int>& clean_exit_codes,
                             const CleanStopRule& stop_rule) {
  // A closed window is why the run ended, whether or not the engine then
  // stopped in time (issue 15): its kill shows in engine.signal.
  if (watch.killed_after_grace) {
    return {"unclean", watch.cause == watch::StopCause::kConsoleClosed ? "console_closed"
                                                                       : "stop_timeout_killed"};
  }
  const bool ours = died_of_our_stop(exit, watch, stop_rule);
  const auto& listed = stop_rule.clean_stop_signals;
  if (ours && std::find(listed.begin(), listed.end(), stop_rule.stop_signal) != listed.end()) {
    return {"clean", stop_reason(watch.cause), true};
  }
  if (exit.signal) return {"unclean", "signal:" + exit.signal_name(), ours};
  const int code = exit.exit_code.value_or(-1);
  if (std::find(clean_exit_codes.begin(), clean_exit_codes.end(), code) == clean_exit_codes.end()) {
    return {"unclean", "exit_code:" + std::to_string(code), ours};
  }
  if (watch.cause != watch::StopCause::kNone) return {"clean", stop_reason(watch.cause)};
  return {"clean", "engine_exit"};
}

}  // namespace es
