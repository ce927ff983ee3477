#include "torture/torture_mode.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace es::torture {
namespace {

std::optional<std::uint64_t> env_number(const char* name) {
  const char* text = std::getenv(name);
  if (text == nullptr || *text == '\0') return std::nullopt;
  return std::strtoull(text, nullptr, 10);
}

// splitmix64: spreads nearby inputs (base + i) over the whole range.
std::uint64_t mix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

TortureMode read_mode() {
  TortureMode mode;
  const char* name = std::getenv("ES_TORTURE_MODE");
  mode.long_mode = name != nullptr && std::string_view(name) == "long";
  mode.base_seed = env_number("ES_TORTURE_SEED").value_or(
      static_cast<std::uint64_t>(std::chrono::system_clock::now().time_since_epoch().count()));
  mode.only_seed = env_number("ES_TORTURE_ONLY");
  std::fprintf(stderr, "torture: %s mode, ES_TORTURE_SEED=%llu\n",
               mode.long_mode ? "long" : "short",
               static_cast<unsigned long long>(mode.base_seed));
  return mode;
}

}  // namespace

std::uint64_t TortureMode::iteration_seed(std::uint64_t test_salt, int i) const {
  return mix(base_seed ^ mix(test_salt + static_cast<std::uint64_t>(i)));
}

std::vector<std::uint64_t> TortureMode::seeds(std::uint64_t test_salt, int short_count,
                                              int long_count) const {
  if (only_seed) return {*only_seed};
  std::vector<std::uint64_t> all;
  for (int i = 0; i < iterations(short_count, long_count); ++i) {
    all.push_back(iteration_seed(test_salt, i));
  }
  return all;
}

const TortureMode& torture_mode() {
  static const TortureMode mode = read_mode();
  return mode;
}

std::uint64_t salt_of(const std::string& test_name) {
  std::uint64_t hash = 1469598103934665603ULL;  // FNV-1a
  for (const unsigned char c : test_name) hash = (hash ^ c) * 1099511628211ULL;
  return hash;
}

}  // namespace es::torture
