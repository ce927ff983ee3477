// The application's own invariants (db_checks) on real DB files: what they
// find, what they refuse to run, and that they change no file.

#include "common/db_checks.hpp"

#include <doctest/doctest.h>
#include <sqlite3.h>

#include <chrono>

#include "support/temp_dir.hpp"
#include "support/test_db.hpp"

namespace es {
namespace fs = std::filesystem;

namespace {

// A trading engine's sessions: `open_sessions` of the older ones never got
// their ended_at (the audit's failure), and the newest is open too.
void make_sessions_db(const fs::path& db, int closed, int open_sessions) {
  sqlite3* conn = nullptr;
  REQUIRE(sqlite3_open(db.string().c_str(), &conn) == SQLITE_OK);
  std::string sql =
      "PRAGMA journal_mode=WAL;"
      "CREATE TABLE sessions(id INTEGER PRIMARY KEY, run_id TEXT, started_at TEXT NOT NULL, "
      "ended_at TEXT);"
      "CREATE TABLE t(id INTEGER PRIMARY KEY, payload TEXT);";
  for (int i = 0; i < closed; ++i) {
    sql += "INSERT INTO sessions(run_id, started_at, ended_at) VALUES('c" + std::to_string(i) +
           "', '2026-11-01T10:00:00Z', '2026-11-01T18:00:00Z');";
  }
  for (int i = 0; i < open_sessions; ++i) {
    sql += "INSERT INTO sessions(run_id, started_at, ended_at) VALUES('o" + std::to_string(i) +
           "', '2026-11-02T10:00:00Z', NULL);";
  }
  sql += "INSERT INTO sessions(run_id, started_at, ended_at) VALUES('newest', "
         "'2026-11-03T10:00:00Z', NULL);";
  REQUIRE(sqlite3_exec(conn, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(conn);
}

DbCheckConfig sessions_closed(bool refuse = true) {
  DbCheckConfig check;
  check.name = "sessions_closed";
  check.sql =
      "SELECT id, run_id, started_at FROM sessions "
      "WHERE ended_at IS NULL AND id < (SELECT max(id) FROM sessions) ORDER BY id";
  check.refuse = refuse;
  return check;
}

DbCheckResult only(const std::vector<DbCheckResult>& results) {
  REQUIRE(results.size() == 1);
  return results.front();
}

}  // namespace

TEST_CASE("db_checks: every session but the newest has ended_at: passes, then finds the open ones") {
  test::TempDir dir;
  const auto db = dir / "live.db";
  SUBCASE("all closed but the newest") {
    make_sessions_db(db, 5, 0);
    const auto result = only(run_db_checks(db, {sessions_closed()}, DbCheckPhase::kStartup));
    CHECK(result.passed);
    CHECK(result.found == "no rows");
    CHECK(result.error.empty());
  }
  SUBCASE("37 sessions never closed: the count and the first 5 rows") {
    make_sessions_db(db, 2, 37);
    const auto result = only(run_db_checks(db, {sessions_closed()}, DbCheckPhase::kStartup));
    CHECK_FALSE(result.passed);
    CHECK(result.found == "37 rows");
    REQUIRE(result.first_rows.size() == 5);
    CHECK(result.first_rows.front() == "3 | o0 | 2026-11-02T10:00:00Z");
    const auto message = db_check_failure_message(db, result);
    CHECK(message.find("sessions_closed") != std::string::npos);
    CHECK(message.find("found 37 rows") != std::string::npos);
    CHECK(message.find(db.string()) != std::string::npos);
    CHECK(message.find("3 | o0 | 2026-11-02T10:00:00Z") != std::string::npos);
  }
}

TEST_CASE("db_checks: expect value compares the first column of the first row") {
  test::TempDir dir;
  const auto db = dir / "live.db";
  make_sessions_db(db, 3, 1);
  auto check = sessions_closed();
  check.sql = "SELECT count(*) FROM sessions WHERE ended_at IS NULL";
  check.expect_value = "1";
  auto result = only(run_db_checks(db, {check}, DbCheckPhase::kStartup));
  CHECK_FALSE(result.passed);
  CHECK(result.found == "value 2");
  check.expect_value = "2";
  result = only(run_db_checks(db, {check}, DbCheckPhase::kStartup));
  CHECK(result.passed);
  check.sql = "SELECT id FROM sessions WHERE 0";
  result = only(run_db_checks(db, {check}, DbCheckPhase::kStartup));
  CHECK_FALSE(result.passed);
  CHECK(result.found == "no value (no rows)");
}

TEST_CASE("db_checks: SQL that could write, ATTACH, a pragma with a value or two statements never runs") {
  test::TempDir dir;
  const auto db = dir / "live.db";
  make_sessions_db(db, 3, 0);
  const auto before = test::folder_contents(dir.path());
  std::string sql;
  SUBCASE("an UPDATE") { sql = "UPDATE sessions SET ended_at = 'x'"; }
  SUBCASE("a DELETE with RETURNING") { sql = "DELETE FROM sessions RETURNING id"; }
  SUBCASE("ATTACH, which could create a file") { sql = "ATTACH '" + (dir / "new.db").string() + "' AS x"; }
  SUBCASE("a pragma that sets") { sql = "PRAGMA journal_mode = DELETE"; }
  SUBCASE("a second statement after a SELECT") { sql = "SELECT 1; DELETE FROM sessions"; }
  SUBCASE("CREATE TABLE") { sql = "CREATE TABLE t(x)"; }
  auto check = sessions_closed();
  check.sql = sql;
  const auto result = only(run_db_checks(db, {check}, DbCheckPhase::kStartup));
  CHECK_FALSE(result.passed);
  CHECK_FALSE(result.error.empty());
  CHECK(test::folder_contents(dir.path()) == before);
  CHECK(test::count_rows_where(db, "sessions", "ended_at IS NOT NULL") == 3);
}

TEST_CASE("db_checks: a check past its time limit is stopped and says so") {
  test::TempDir dir;
  const auto db = dir / "live.db";
  make_sessions_db(db, 1, 0);
  auto check = sessions_closed();
  check.timeout_seconds = 1;
  check.sql =
      "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT x FROM c WHERE x < 0";
  const auto start = std::chrono::steady_clock::now();
  const auto result = only(run_db_checks(db, {check}, DbCheckPhase::kStartup));
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
  CHECK_FALSE(result.passed);
  CHECK(result.error.find("time limit of 1 s") != std::string::npos);
}

TEST_CASE("db_checks: only the phase's checks run; a DB with no tables yet passes; no file changes") {
  test::TempDir dir;
  const auto db = dir / "live.db";
  make_sessions_db(db, 2, 4);
  test::commit_in_wal_only(db, 10);  // a -wal with frames and its -shm: read, never changed
  const auto before = test::folder_contents(dir.path());
  auto startup_only = sessions_closed();
  startup_only.after_session = false;
  CHECK(run_db_checks(db, {startup_only}, DbCheckPhase::kPostSession).empty());
  CHECK_FALSE(only(run_db_checks(db, {startup_only}, DbCheckPhase::kStartup)).passed);
  CHECK(test::folder_contents(dir.path()) == before);

  const auto empty = dir / "empty.db";
  test::make_schema_less_db(empty);
  const auto result = only(run_db_checks(empty, {sessions_closed()}, DbCheckPhase::kStartup));
  CHECK(result.passed);
  CHECK(result.found == "not run: the DB has no tables yet");
}

TEST_CASE("db_checks config: every key read, a round trip through config show, and errors named") {
  const std::string head = "database:\n  path: live.db\n";
  const auto parsed = parse_config(head +
                                       "db_checks:\n"
                                       "  - name: sessions_closed\n"
                                       "    sql: SELECT id FROM sessions WHERE ended_at IS NULL\n"
                                       "    expect: no_rows\n"
                                       "    on_fail: refuse\n"
                                       "  - name: one_account\n"
                                       "    sql: SELECT count(*) FROM accounts\n"
                                       "    expect: {value: 1}\n"
                                       "    when: startup\n"
                                       "    on_fail: warn\n"
                                       "    timeout_seconds: 3\n",
                                   "/cfg/engine-supervisor.yaml");
  REQUIRE(parsed.has_value());
  REQUIRE(parsed->db_checks.size() == 2);
  const auto& first = parsed->db_checks[0];
  CHECK(first.at_startup);
  CHECK(first.after_session);
  CHECK(first.refuse);
  CHECK_FALSE(first.expect_value);
  CHECK(first.timeout_seconds == 10);
  const auto& second = parsed->db_checks[1];
  CHECK(second.expect_value == "1");
  CHECK(second.at_startup);
  CHECK_FALSE(second.after_session);
  CHECK_FALSE(second.refuse);
  CHECK(second.timeout_seconds == 3);
  const auto again = parse_config(render_config(*parsed), "/cfg/engine-supervisor.yaml");
  REQUIRE(again.has_value());
  CHECK(again->db_checks == parsed->db_checks);

  const auto error_for = [&](const std::string& check) {
    const auto result = parse_config(head + "db_checks:\n" + check, "/cfg/engine-supervisor.yaml");
    REQUIRE_FALSE(result.has_value());
    CHECK(result.error().exit_code == ExitCode::kConfigInvalid);
    return result.error().message;
  };
  CHECK(error_for("  - name: a\n    sql: SELECT 1\n    expect: no_rows\n")
            .find("on_fail") != std::string::npos);
  CHECK(error_for("  - name: a\n    sql: SELECT 1\n    on_fail: warn\n").find("expect") !=
        std::string::npos);
  CHECK(error_for("  - name: a b\n    sql: SELECT 1\n    expect: no_rows\n    on_fail: warn\n")
            .find("name holds only") != std::string::npos);
  CHECK(error_for("  - name: a\n    sql: SELECT 1\n    expect: rows\n    on_fail: warn\n")
            .find("no_rows, or {value: X}") != std::string::npos);
  CHECK(error_for("  - name: a\n    sql: SELECT 1\n    expect: no_rows\n    on_fail: warn\n"
                  "    when: nightly\n")
            .find("when") != std::string::npos);
  CHECK(error_for("  - name: a\n    sql: SELECT 1\n    expect: no_rows\n    on_fail: warn\n"
                  "  - name: a\n    sql: SELECT 2\n    expect: no_rows\n    on_fail: warn\n")
            .find("second check with this name") != std::string::npos);
}

}  // namespace es
