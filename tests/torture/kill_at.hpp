#pragma once
// The test side of kill_at_shim (the LD_PRELOAD library in kill_at_shim.cpp):
// a command line that runs the supervisor with the shim armed, and the trace
// it leaves. Plain functions; thread-safe.

#include <filesystem>
#include <string>
#include <vector>

namespace es::torture {

struct KillAt {
  std::string patterns;  // file-name substrings, '|' between them
  long call = 0;         // SIGKILL at this matching call; 0: only trace
  bool after = false;    // after the call returned, instead of before it ran
  std::filesystem::path trace;
};

// `supervisor_argv` (the real binary first) run through env(1) with the shim
// preloaded and armed as `kill_at`, acting in the supervisor only.
std::vector<std::string> with_kill_at(const KillAt& kill_at,
                                      const std::vector<std::string>& supervisor_argv);

// One call the shim saw on a matching file; `kill` marks the one it killed at.
struct ShimCall {
  long number = 0;
  std::string call, file;
  bool kill = false;
};

// The trace, in order; empty if there is none.
std::vector<ShimCall> read_trace(const std::filesystem::path& trace);

// The call the shim killed at, if it did.
const ShimCall* kill_call(const std::vector<ShimCall>& trace);

}  // namespace es::torture
