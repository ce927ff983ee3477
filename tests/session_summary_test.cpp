// Real summaries, from real runs, validated against the published JSON Schema
// (docs/session-summary.schema.json) with an independent validator.

#include "common/session_summary.hpp"

#include <signal.h>

#include <doctest/doctest.h>

#include "support/run_fixture.hpp"

using namespace es;
namespace fs = std::filesystem;

namespace {

void check_against_schema(const fs::path& summary) {
  const std::string schema = std::string(ES_SOURCE_DIR) + "/docs/session-summary.schema.json";
  const auto result = test::run_command(
      {"/usr/bin/python3", "-c",
       "import json, sys, jsonschema\n"
       "schema = json.load(open(sys.argv[1]))\n"
       "jsonschema.Draft202012Validator.check_schema(schema)\n"
       "jsonschema.Draft202012Validator(schema).validate(json.load(open(sys.argv[2])))\n",
       schema, summary.string()});
  CAPTURE(summary.string());
  CAPTURE(result.err);
  CHECK(result.exit_code == 0);
}

}  // namespace

TEST_CASE("summary: real clean, unclean, aborted and lost-run summaries validate against the schema") {
  test::RunFixture f;
  std::vector<fs::path> summaries;
  const auto latest = [&] {
    const auto run_id = f.latest_summary()["run_id"].get<std::string>();
    return f.dir / "logs" / ("session-" + run_id + ".json");
  };

  f.configure({"--seconds", "0.2"});
  REQUIRE(f.run().exit_code == 0);
  summaries.push_back(latest());

  f.configure({"--seconds", "0.2", "--exit-code", "3"});
  REQUIRE(f.run().exit_code == 1);
  summaries.push_back(latest());

  {  // a lost supervisor, recorded at the next start
    f.configure({});
    test::ChildProcess lost(f.run_argv(), {f.dir.path()});
    REQUIRE(test::wait_until([&] { return fs::exists(f.marker()); }, 20));
    lost.send(SIGKILL);
    lost.wait();
  }
  f.configure({"--seconds", "0.2"});
  REQUIRE(f.run().exit_code == 0);
  for (const auto& entry : fs::directory_iterator(f.dir / "logs")) {
    if (entry.path().extension() == ".json") summaries.push_back(entry.path());
  }

  test::write_file(f.db(), "not a database");
  REQUIRE(f.run().exit_code == 65);
  summaries.push_back(latest());
  CHECK(f.latest_summary()["outcome"] == "aborted");
  CHECK(f.latest_summary()["halt_reason"] == "changed_between_sessions");

  // The change accepted: the gate then refuses the file itself.
  auto accept = f.run_argv();
  accept.push_back("--accept-changed-db");
  REQUIRE(test::run_command(accept, f.dir.path()).exit_code == 65);
  summaries.push_back(latest());
  CHECK(f.latest_summary()["halt_reason"] == "integrity_failed");
  CHECK(f.latest_summary()["db_health"]["continuity"] == "changed_accepted");

  for (const auto& summary : summaries) check_against_schema(summary);
}

TEST_CASE("summary: issue 11's summaries (a hot journal rolled back or not, backups skipped) validate against the schema") {
  const auto latest = [](const test::RunFixture& f) {
    const auto run_id = f.latest_summary()["run_id"].get<std::string>();
    return f.dir / "logs" / ("session-" + run_id + ".json");
  };
  test::RunFixture rolled;
  rolled.configure({"--seconds", "0.2"});
  test::leave_hot_journal(rolled.db(), 2000);
  REQUIRE(rolled.run().exit_code == 0);
  CHECK(rolled.latest_summary()["db_health"]["hot_journal"]["rolled_back"] == true);
  check_against_schema(latest(rolled));

  test::RunFixture no_room;  // the evidence cannot be set aside: nothing is rolled back
  no_room.configure({"--seconds", "0.2"});
  test::leave_hot_journal(no_room.db(), 2000);
  fs::remove_all(no_room.dir / "backups");
  test::write_file(no_room.dir / "backups", "a file where the folder should be");
  REQUIRE(no_room.run().exit_code == 74);
  CHECK(no_room.latest_summary()["halt_reason"] == "hot_journal_not_rolled_back");
  CHECK(no_room.latest_summary()["db_health"]["hot_journal"]["rolled_back"] == false);
  check_against_schema(latest(no_room));

  test::RunFixture empty;  // a new DB: the pre-session backup is skipped
  empty.configure({"--seconds", "0.2"});
  test::write_file(empty.db(), "");
  REQUIRE(empty.run().exit_code == 0);
  CHECK(empty.latest_summary()["db_health"]["pre_session_backup_skipped"].is_string());
  check_against_schema(latest(empty));
}

TEST_CASE("summary: issue 12's db_checks (refused at startup, warned after the session) and engine_errors validate against the schema") {
  const auto latest = [](const test::RunFixture& f) {
    const auto run_id = f.latest_summary()["run_id"].get<std::string>();
    return f.dir / "logs" / ("session-" + run_id + ".json");
  };
  const auto check = [](const std::string& on_fail) {
    return "db_checks:\n  - name: t_small\n    sql: SELECT count(*) FROM t\n"
           "    expect: {value: 1}\n    on_fail: " + on_fail + "\n";
  };
  test::RunFixture refused;
  refused.configure({"--seconds", "0.2"}, 10, "", check("refuse"));
  REQUIRE(refused.run().exit_code == 65);
  CHECK(refused.latest_summary()["halt_reason"] == "db_check_failed:t_small");
  check_against_schema(latest(refused));

  test::RunFixture warned;  // and an engine error line
  warned.configure({"--seconds", "0.2", "--stderr-line", "FATAL: demo"}, 10, "", check("warn"));
  REQUIRE(warned.run().exit_code == 0);
  CHECK(warned.latest_summary()["db_health"]["db_checks"].size() == 2);
  CHECK(warned.latest_summary()["engine_errors"]["count"] == 1);
  check_against_schema(latest(warned));
}

TEST_CASE("summary: the four db_health keys are always present, null when not taken") {
  SessionSummary summary;
  summary.run_id = "20260101T000000Z-1";
  const auto json = to_json(summary);
  for (const char* key : {"integrity_check", "pre_session_backup", "post_session_backup", "db_path"}) {
    CAPTURE(key);
    CHECK(json["db_health"].contains(key));
  }
  CHECK(json["db_health"]["pre_session_backup"].is_null());
  CHECK(json["db_health"]["integrity_check"] == "skipped");
}

TEST_CASE("summary: wal_frames_checkpointed and at_rest are null until known, and at_rest names each file with its bytes") {
  SessionSummary summary;
  summary.run_id = "20260101T000000Z-1";
  auto json = to_json(summary);
  CHECK(json["db_health"]["wal_frames_checkpointed"].is_null());
  CHECK(json["db_health"]["at_rest"].is_null());
  summary.db_health.wal_frames_checkpointed = 2054;
  summary.db_health.at_rest = std::vector<FileAtRest>{{"live.db", 4096}, {"live.db-wal", 0}};
  json = to_json(summary);
  CHECK(json["db_health"]["wal_frames_checkpointed"] == 2054);
  CHECK(json["db_health"]["at_rest"] ==
        nlohmann::json::parse(R"([{"file":"live.db","bytes":4096},{"file":"live.db-wal","bytes":0}])"));
}
