#pragma once
// How hard the torture suite pushes: the short mode CI runs (about three
// minutes in all) or the long mode (scripts/torture.sh --long), and the seeds
// that make every iteration repeatable.
//
//   ES_TORTURE_MODE=short|long   default short
//   ES_TORTURE_SEED=N            the base seed; default: from the clock
//
// Iteration i of a test draws from iteration_seed(i). A failing iteration
// names that seed; ES_TORTURE_SEED=<base> reproduces the whole run, and
// ES_TORTURE_ONLY=<iteration seed> runs just the iteration that failed.
// Reads the environment once; thread-safe after that.

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace es::torture {

struct TortureMode {
  bool long_mode = false;
  std::uint64_t base_seed = 0;
  std::optional<std::uint64_t> only_seed;

  // The number of iterations for this mode.
  int iterations(int short_count, int long_count) const {
    return long_mode ? long_count : short_count;
  }

  // The seed of iteration `i`: distinct per iteration and per test.
  std::uint64_t iteration_seed(std::uint64_t test_salt, int i) const;

  // Iteration seeds to run: every iteration's, or just ES_TORTURE_ONLY.
  std::vector<std::uint64_t> seeds(std::uint64_t test_salt, int short_count, int long_count) const;
};

// The mode from the environment, read once. Prints the base seed the first
// time, so that any run can be repeated.
const TortureMode& torture_mode();

// A test's salt from its name, so two tests never share iteration seeds.
std::uint64_t salt_of(const std::string& test_name);

}  // namespace es::torture
