#include <doctest/doctest.h>

#include <set>

#include "torture/torture_mode.hpp"

using es::torture::TortureMode;

TEST_CASE("torture mode: iteration seeds are repeatable from the base seed and distinct per test") {
  TortureMode mode;
  mode.base_seed = 42;
  const auto first = mode.seeds(es::torture::salt_of("a"), 20, 200);
  CHECK(first.size() == 20);
  CHECK(first == mode.seeds(es::torture::salt_of("a"), 20, 200));
  CHECK(std::set(first.begin(), first.end()).size() == first.size());
  CHECK(first != mode.seeds(es::torture::salt_of("b"), 20, 200));
  mode.long_mode = true;
  CHECK(mode.seeds(es::torture::salt_of("a"), 20, 200).size() == 200);
  mode.only_seed = 7;
  CHECK(mode.seeds(es::torture::salt_of("a"), 20, 200) == std::vector<std::uint64_t>{7});
}
