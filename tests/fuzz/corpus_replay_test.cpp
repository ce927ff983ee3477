// Every input of the fuzz corpus (tests/fuzz/corpus/), run through its
// oracle without libFuzzer, so every build that runs the unit tests (the
// sanitizer build and Windows under Wine too) checks it.

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

#include "fuzz/backup_name_fuzz_oracle.hpp"
#include "fuzz/config_fuzz_oracle.hpp"

namespace fs = std::filesystem;

namespace {

// Replays every file of corpus/<target>/ and returns how many there were.
template <class Oracle>
int replay_corpus(std::string_view target, Oracle oracle) {
  const fs::path folder = fs::path(ES_SOURCE_DIR) / "tests" / "fuzz" / "corpus" / target;
  int count = 0;
  for (const auto& entry : fs::directory_iterator(folder)) {
    std::ifstream in(entry.path(), std::ios::binary);
    const std::string input{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    const std::string file = entry.path().string();
    CAPTURE(file);
    const auto violation = oracle(input);
    CHECK(violation.value_or("") == "");
    ++count;
  }
  return count;
}

}  // namespace

TEST_CASE("fuzz corpus: every config input yields a config or an error naming a line") {
  CHECK(replay_corpus("config", [](std::string_view input) {
          return es::fuzz::config_violation(input);
        }) > 10);
}

TEST_CASE("fuzz corpus: every backup name input keeps the backup name invariants") {
  CHECK(replay_corpus("backup_name", [](std::string_view input) {
          return es::fuzz::backup_name_violation(input);
        }) > 10);
}
