#pragma once
// How a session ended, from how the engine exited and what the watch did.
// Pure.
//
//   clean:   the engine exited with a code in clean_exit_codes, on its own
//            (engine_exit) or after a requested stop (stop_requested,
//            console_closed).
//   unclean: anything else: exit_code:N, signal:SIGKILL (a death by signal is
//            never reported as an exit code), stop_timeout_killed.

#include <string>
#include <vector>

#include "supervisor/engine_process.hpp"
#include "supervisor/watch_machine.hpp"

namespace es {

struct SessionVerdict {
  std::string outcome;      // "clean" | "unclean"
  std::string halt_reason;
  bool clean() const { return outcome == "clean"; }
};

SessionVerdict classify_exit(const EngineExit& exit, const watch::State& watch,
                             const std::vector<int>& clean_exit_codes);

}  // namespace es
