#include "common/run_history.hpp"

#include <doctest/doctest.h>

#include "support/temp_dir.hpp"
#include "support/test_db.hpp"

using namespace es;

TEST_CASE("history: runs fold from events, and a run without a finish is running") {
  test::TempDir dir;
  const RunHistory history(dir / "live.db.supervisor-history.jsonl");
  REQUIRE(history.append(run_started_event("r1", "2026-01-01T00:00:00Z", {{"summary_path", "s1"}})));
  REQUIRE(history.append(engine_started_event("r1", 42, "2026-01-01T00:00:01Z")));
  RunRecord done;
  done.run_id = "r1";
  done.outcome = "clean";
  done.halt_reason = "engine_exit";
  done.ended_at = "2026-01-01T01:00:00Z";
  done.exit_code = 0;
  REQUIRE(history.append(run_finished_event(done)));
  REQUIRE(history.append(run_started_event("r2", "2026-01-02T00:00:00Z", {})));

  const auto loaded = history.load();
  REQUIRE(loaded.runs.size() == 2);
  CHECK(loaded.runs[0].outcome == "clean");
  CHECK(loaded.runs[0].engine_pid == 42);
  CHECK(loaded.runs[0].engine_started_at == "2026-01-01T00:00:01Z");
  CHECK(loaded.runs[0].exit_code == 0);
  CHECK(loaded.runs[0].summary_path == "s1");
  CHECK(loaded.runs[1].running());
  CHECK(loaded.warnings.empty());
}

TEST_CASE("history: a torn or corrupt line is skipped with a warning and later lines still count") {
  test::TempDir dir;
  const auto file = dir / "h.jsonl";
  const RunHistory history(file);
  REQUIRE(history.append(run_started_event("r1", "2026-01-01T00:00:00Z", {})));
  // A torn write: half a line, no newline.
  test::write_file(file, test::read_file(file) + "{\"event\":\"run_fini");
  REQUIRE(history.append(run_started_event("r2", "2026-01-02T00:00:00Z", {})));
  test::write_file(file, test::read_file(file) + "\x01\x02 garbage\n{\"no_event\":1}\n");
  REQUIRE(history.append(run_started_event("r3", "2026-01-03T00:00:00Z", {})));

  const auto loaded = history.load();
  REQUIRE(loaded.runs.size() == 3);
  CHECK(loaded.runs[2].run_id == "r3");
  CHECK(loaded.warnings.size() == 3);
  CHECK(loaded.warnings[0].find("line 2") != std::string::npos);
}

TEST_CASE("history: a missing file is an empty history") {
  test::TempDir dir;
  const auto loaded = RunHistory(dir / "absent.jsonl").load();
  CHECK(loaded.runs.empty());
  CHECK(loaded.warnings.empty());
}

TEST_CASE("history: a wrongly typed field skips its line, named by number, and never throws") {
  test::TempDir dir;
  const auto file = dir / "h.jsonl";
  test::write_file(file,
                   "{\"event\":\"run_started\",\"run_id\":\"r1\",\"started_at\":\"2026-01-01T00:00:00Z\","
                   "\"log_file\":null}\n"
                   "{\"event\":\"run_started\",\"run_id\":\"r2\",\"started_at\":\"2026-01-02T00:00:00Z\","
                   "\"command\":\"a string\"}\n");
  const RunHistory history(file);
  REQUIRE(history.append(run_started_event("r3", "2026-01-03T00:00:00Z", {{"log_file", "x.log"}})));
  const auto loaded = history.load();
  REQUIRE(loaded.runs.size() == 1);
  CHECK(loaded.runs[0].run_id == "r3");
  REQUIRE(loaded.warnings.size() == 2);
  CHECK(loaded.warnings[0].find("line 1") != std::string::npos);
  CHECK(loaded.warnings[1].find("line 2") != std::string::npos);
}
