#include "supervisor/classify_exit.hpp"

#include <algorithm>

namespace es {

SessionVerdict classify_exit(const EngineExit& exit, const watch::State& watch,
                             const std::vector<int>& clean_exit_codes) {
  // A closed window is why the run ended, whether or not the engine then
  // stopped in time (issue 15): its kill shows in engine.signal.
  if (watch.killed_after_grace) {
    return {"unclean", watch.cause == watch::StopCause::kConsoleClosed ? "console_closed"
                                                                       : "stop_timeout_killed"};
  }
  if (exit.signal) return {"unclean", "signal:" + exit.signal_name()};
  const int code = exit.exit_code.value_or(-1);
  if (std::find(clean_exit_codes.begin(), clean_exit_codes.end(), code) == clean_exit_codes.end()) {
    return {"unclean", "exit_code:" + std::to_string(code)};
  }
  switch (watch.cause) {
    case watch::StopCause::kConsoleClosed: return {"clean", "console_closed"};
    case watch::StopCause::kStopRequested: return {"clean", "stop_requested"};
    case watch::StopCause::kNone: break;
  }
  return {"clean", "engine_exit"};
}

}  // namespace es
