// db_checks in real runs of the demo engine: the audit's own failure (the
// engine's "close session" write never lands) caught after the session and
// refused at the next start, or only warned about.

#include <doctest/doctest.h>
#include <sqlite3.h>

#include <nlohmann/json.hpp>

#include "support/run_fixture.hpp"

namespace es {
namespace fs = std::filesystem;

namespace {

std::string sessions_closed_check(const std::string& on_fail) {
  return "db_checks:\n"
         "  - name: sessions_closed\n"
         "    sql: SELECT id, run_id FROM sessions WHERE ended_at IS NULL AND id < (SELECT max(id) "
         "FROM sessions)\n"
         "    expect: no_rows\n"
         "    when: both\n"
         "    on_fail: " + on_fail + "\n";
}

// The demo engine's sessions table, as its first start creates it: a check
// that reads a table the DB does not have cannot run, and a refuse check
// then refuses, so the tests start from a DB the engine has set up.
void add_sessions_table(const fs::path& db) {
  sqlite3* conn = nullptr;
  REQUIRE(sqlite3_open(db.string().c_str(), &conn) == SQLITE_OK);
  REQUIRE(sqlite3_exec(conn,
                       "CREATE TABLE sessions(id INTEGER PRIMARY KEY, run_id TEXT, started_at TEXT "
                       "NOT NULL, ended_at TEXT)",
                       nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(conn);
}

// Two sessions whose engine exits 0 without writing ended_at: the first
// passes (it is the newest), the second finds the first one open.
void leave_two_sessions_open(test::RunFixture& fx) {
  add_sessions_table(fx.db());
  REQUIRE(fx.run().exit_code == 0);
  auto summary = fx.latest_summary();
  REQUIRE(summary["db_health"]["db_checks"].size() == 2);  // startup's, then post_session's
  CHECK(summary["db_health"]["db_checks"][1]["passed"] == true);
  REQUIRE(fx.run().exit_code == 0);
  summary = fx.latest_summary();
  REQUIRE(summary["db_health"]["db_checks"].size() == 2);
  const auto post = summary["db_health"]["db_checks"][1];
  CHECK(post["when"] == "post_session");
  CHECK(post["passed"] == false);
  CHECK(post["found"] == "1 row");
  CHECK(summary["outcome"] == "clean");  // it informs; the exit was clean
  CHECK(summary["db_health"]["warnings"].dump().find("sessions_closed") != std::string::npos);
}

}  // namespace

TEST_CASE("issue 12.2: a refuse check fails closed at the next start: 65, db_check_failed, rows named") {
  test::RunFixture fx;
  fx.configure({"--seconds", "0.3", "--leave-session-open"}, 10, "", sessions_closed_check("refuse"));
  leave_two_sessions_open(fx);
  fs::remove(fx.marker());
  const auto refused = fx.run();
  CHECK(refused.exit_code == 65);
  CHECK_FALSE(fs::exists(fx.marker()));
  CHECK(refused.err.find("DB check 'sessions_closed' failed") != std::string::npos);
  CHECK(refused.err.find("found 1 row") != std::string::npos);
  CHECK(refused.err.find("1 | ") != std::string::npos);  // the open session's row
  const auto summary = fx.latest_summary();
  CHECK(summary["outcome"] == "aborted");
  CHECK(summary["halt_reason"] == "db_check_failed:sessions_closed");
  REQUIRE(summary["db_health"]["db_checks"].size() == 1);
  CHECK(summary["db_health"]["db_checks"][0]["passed"] == false);
  CHECK(summary["db_health"]["db_checks"][0]["first_rows"][0].get<std::string>().rfind("1 | ", 0) == 0);
}

TEST_CASE("issue 12.2: a warn check lets the engine start and says what it found") {
  test::RunFixture fx;
  fx.configure({"--seconds", "0.3", "--leave-session-open"}, 10, "", sessions_closed_check("warn"));
  leave_two_sessions_open(fx);
  fs::remove(fx.marker());
  CHECK(fx.run().exit_code == 0);
  CHECK(fs::exists(fx.marker()));
  const auto summary = fx.latest_summary();
  REQUIRE(summary["db_health"]["db_checks"].size() == 2);
  CHECK(summary["db_health"]["db_checks"][0]["when"] == "startup");
  CHECK(summary["db_health"]["db_checks"][0]["passed"] == false);
  CHECK(summary["db_health"]["warnings"].dump().find("check 'sessions_closed' failed: found 1 row") !=
        std::string::npos);
}

TEST_CASE("issue 12.2: an engine that closes its sessions passes the check every time") {
  test::RunFixture fx;
  fx.configure({"--seconds", "0.3"}, 10, "", sessions_closed_check("refuse"));
  add_sessions_table(fx.db());
  for (int i = 0; i < 3; ++i) {
    REQUIRE(fx.run().exit_code == 0);
    const auto checks = fx.latest_summary()["db_health"]["db_checks"];
    CHECK(checks.size() == 2);
    for (const auto& check : checks) CHECK(check["passed"] == true);
  }
}

}  // namespace es

namespace es {

TEST_CASE("issue 12.2: check runs the startup db_checks too: a refuse check that fails exits 65 naming it, a warn check warns") {
  test::RunFixture fx;
  fx.configure({"--seconds", "0.3", "--leave-session-open"}, 10, "", sessions_closed_check("refuse"));
  leave_two_sessions_open(fx);
  const auto check = test::run_command(
      {test::supervisor_binary(), "check", "--config", fx.config().string()}, fx.dir.path());
  CHECK(check.exit_code == 65);
  CHECK(check.err.find("sessions_closed") != std::string::npos);
  const auto json = test::run_command(
      {test::supervisor_binary(), "check", "--json", "--config", fx.config().string()}, fx.dir.path());
  CHECK(json.exit_code == 65);
  const auto out = nlohmann::json::parse(json.out);
  CHECK(out["result"] == "db_check_failed");
  REQUIRE(out["db_checks"].size() == 1);
  CHECK(out["db_checks"][0]["passed"] == false);

  fx.configure({"--seconds", "0.3", "--leave-session-open"}, 10, "", sessions_closed_check("warn"));
  const auto warned = test::run_command(
      {test::supervisor_binary(), "check", "--config", fx.config().string()}, fx.dir.path());
  CHECK(warned.exit_code == 0);
  CHECK(warned.out == "ok\n");
  CHECK(warned.err.find("sessions_closed") != std::string::npos);
}

}  // namespace es
