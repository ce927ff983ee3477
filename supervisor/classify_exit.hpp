#pragma once
// How a session ended, from how the engine exited and what the watch did.
// Pure.
//
//   clean:   the engine exited with a code in clean_exit_codes, on its own
//            (engine_exit) or after a requested stop (stop_requested,
//            console_closed); or it died of the stop signal the supervisor
//            had sent it, and engine.clean_stop_signals lists that signal
//            (stop_requested, console_closed).
//   unclean: anything else: exit_code:N, signal:SIGKILL (a death by signal is
//            never reported as an exit code), stop_timeout_killed. A death by
//            a listed signal that the supervisor did not send (someone
//            else's kill, or before any stop) stays signal:SIGTERM.

#include <string>
#include <vector>

#include "supervisor/engine_process.hpp"
#include "supervisor/watch_machine.hpp"

namespace es {

struct SessionVerdict {
  std::string outcome;      // "clean" | "unclean"
  std::string halt_reason;
  // The engine died of the stop the supervisor sent it (listed in
  // clean_stop_signals or not): the console then says so, never "killed".
  bool died_of_our_stop = false;
  bool clean() const { return outcome == "clean"; }
};

// engine.stop_signal and engine.clean_stop_signals.
struct CleanStopRule {
  std::string stop_signal;                      // what the supervisor sends
  std::vector<std::string> clean_stop_signals;  // empty: no death by signal is clean
};

SessionVerdict classify_exit(const EngineExit& exit, const watch::State& watch,
                             const std::vector<int>& clean_exit_codes,
                             const CleanStopRule& stop_rule = {});

}  // namespace es
