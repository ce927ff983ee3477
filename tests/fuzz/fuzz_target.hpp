#pragma once
// What a libFuzzer entry does with its oracle's verdict: a broken invariant
// is a crash, with the reason on stderr, so libFuzzer keeps the input as an
// artifact. Used only by the fuzz_*.cpp entries.

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>

namespace es::fuzz {

inline int crash_on_violation(const char* target, const std::optional<std::string>& violation) {
  if (violation) {
    std::fprintf(stderr, "fuzz %s: invariant broken: %s\n", target, violation->c_str());
    std::abort();
  }
  return 0;
}

}  // namespace es::fuzz
