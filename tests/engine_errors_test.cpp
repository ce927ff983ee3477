// The engine's own error lines: counted by engine.error_patterns, with the
// first and the last three kept.

#include "common/engine_errors.hpp"

#include <doctest/doctest.h>

#include "common/config.hpp"

namespace es {

TEST_CASE("engine errors: the default patterns count Python's and a logger's error lines") {
  EngineErrorLines errors(EngineConfig{}.error_patterns);
  for (const char* line : {"committed txn 1", "Traceback (most recent call last):",
                           "  File \"engine.py\", line 3", "ValueError: Exception in order 7",
                           "2026-12-02 10:00:00 ERROR close_session failed", "info: all fine",
                           "CRITICAL disk", "FATAL: gone", "error in lower case is not one"}) {
    errors.scan(line);
  }
  CHECK(errors.count() == 5);
  CHECK(errors.first() == std::vector<std::string>{"Traceback (most recent call last):",
                                                    "ValueError: Exception in order 7",
                                                    "2026-12-02 10:00:00 ERROR close_session failed"});
  CHECK(errors.last() == std::vector<std::string>{"CRITICAL disk", "FATAL: gone"});
  const auto json = errors.to_json();
  CHECK(json["count"] == 5);
  CHECK(json["patterns"].size() == 5);
}

TEST_CASE("engine errors: regexes, the last three of many, long lines cut, [] counts nothing") {
  EngineErrorLines errors({"^E[0-9]+ ", "close(_session)? failed"});
  for (int i = 0; i < 100; ++i) errors.scan("E" + std::to_string(i) + " order rejected");
  errors.scan("xE1 not at the start");
  errors.scan("close failed");
  errors.scan(std::string(2000, 'x') + " close_session failed");
  CHECK(errors.count() == 102);
  CHECK(errors.first().front() == "E0 order rejected");
  const auto last = errors.last();
  REQUIRE(last.size() == 3);
  CHECK(last[0] == "E99 order rejected");
  CHECK(last[1] == "close failed");
  CHECK(last[2].size() < 600);

  EngineErrorLines none(std::vector<std::string>{});
  none.scan("ERROR everything");
  CHECK(none.count() == 0);
}

TEST_CASE("engine errors: engine.error_patterns in the config; a bad regex is named") {
  const auto parsed = parse_config(
      "database:\n  path: live.db\nengine:\n  command: [x]\n  error_patterns: [\"^E[0-9]+\", PANIC]\n",
      "/cfg/engine-supervisor.yaml");
  REQUIRE(parsed.has_value());
  CHECK(parsed->engine.error_patterns == std::vector<std::string>{"^E[0-9]+", "PANIC"});
  const auto again = parse_config(render_config(*parsed), "/cfg/engine-supervisor.yaml");
  REQUIRE(again.has_value());
  CHECK(again->engine.error_patterns == parsed->engine.error_patterns);
  const auto bad = parse_config("database:\n  path: live.db\nengine:\n  error_patterns: [\"(\"]\n",
                                "/cfg/engine-supervisor.yaml");
  REQUIRE_FALSE(bad.has_value());
  CHECK(bad.error().message.find("'(' is not a valid regex") != std::string::npos);
  CHECK(bad.error().message.find("line 4") != std::string::npos);
}

}  // namespace es
