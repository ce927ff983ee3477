#include "fuzz/config_fuzz_oracle.hpp"

#include <doctest/doctest.h>

#include <stdexcept>

using namespace es;
using namespace es::fuzz;

namespace {

// The violation the oracle reports, or "" when it reports none.
std::string violation(std::string_view input, const ConfigLoader& loader = {}) {
  return config_violation(input, loader).value_or("");
}

// A loader that accepts every input as the config `yaml`, whatever it says.
ConfigLoader accepting_as(std::string yaml) {
  return {.parse = [yaml](std::string_view, const std::filesystem::path& source) {
    return parse_config(yaml, source);
  }};
}

}  // namespace

TEST_CASE("config fuzz oracle: the real loader keeps every invariant on typical inputs") {
  for (const std::string input :
       {"database: {path: a.db}\n", "", "database:\n  path: a\n  path: b\n", "[1, 2]\n",
        "database: {path: a}\nengine: {command: [x], env: {A: ''}}\nui: {pause_on_exit: never}\n",
        "database: {path: a}\n---\n", "database: {path: [\n"}) {
    CAPTURE(input);
    CHECK(violation(input) == "");
  }
}

TEST_CASE("config fuzz oracle: an input accepted with silent defaults is caught") {
  SUBCASE("an empty file") {
    CHECK(violation("", accepting_as("database: {path: a}\n")).find("accepted") == 0);
  }
  SUBCASE("an unknown key") {
    CHECK(violation("database: {path: a, colour: red}\n", accepting_as("database: {path: a}\n"))
              .find("unknown key 'database.colour'") != std::string::npos);
  }
  SUBCASE("a key given twice") {
    CHECK(violation("database:\n  path: a\n  path: b\n", accepting_as("database: {path: a}\n"))
              .find("twice") != std::string::npos);
  }
  SUBCASE("a second document") {
    CHECK(violation("database: {path: a}\n---\nengine: {command: [x]}\n",
                    accepting_as("database: {path: a}\n"))
              .find("2 YAML documents") != std::string::npos);
  }
  SUBCASE("a value read as another") {
    CHECK(violation("database: {path: a}\nengine: {stop_grace_seconds: 12}\n",
                    accepting_as("database: {path: a}\n"))
              .find("engine.stop_grace_seconds") != std::string::npos);
  }
  SUBCASE("a left-out key that is not its documented default") {
    CHECK(
        violation("database: {path: a}\n", accepting_as("database: {path: a, allow_missing: true}\n"))
            .find("not its default") != std::string::npos);
  }
}

TEST_CASE("config fuzz oracle: an error without file and line or with another code is caught") {
  const auto fails_with = [](Error error) {
    return ConfigLoader{.parse = [error](std::string_view, const std::filesystem::path&) {
      return Result<Config>(error);
    }};
  };
  const std::string source = kFuzzConfigSource.string();
  CHECK(
      violation("x", fails_with({ExitCode::kConfigInvalid, "config error in " + source + ": bad"}))
          .find("line") != std::string::npos);
  CHECK(violation("x", fails_with({ExitCode::kConfigInvalid,
                                   "config error in " + source + " line 2: bad"}))
            .find("names line 2 of an input of 1 lines") != std::string::npos);
  CHECK(violation("x", fails_with({ExitCode::kIoError, "config error in " + source + " line 1: x"}))
            .find("not 78") != std::string::npos);
  CHECK(violation("x", fails_with({ExitCode::kConfigInvalid,
                                   "config error in " + source + " line 1: bad"})) == "");
}

TEST_CASE("config fuzz oracle: a render that loses a value or a loader that throws is caught") {
  const ConfigLoader forgetful{.render = [](const Config& config) {
    Config changed = config;
    changed.engine.stop_grace_seconds = 30;
    return render_config(changed);
  }};
  CHECK(violation("database: {path: a}\nengine: {stop_grace_seconds: 12}\n", forgetful)
            .find("parses to another config") != std::string::npos);

  const ConfigLoader throwing{
      .parse = [](std::string_view, const std::filesystem::path&) -> Result<Config> {
        throw std::runtime_error("boom");
      }};
  CHECK(violation("database: {path: a}\n", throwing) == "threw: boom");
}
