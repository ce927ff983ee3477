// Bytes that are not UTF-8 (a Latin-1 folder name) never abort a command:
// its JSON replaces them, and the files are still found by their real names.

#include <doctest/doctest.h>

#include <sqlite3.h>

#include <nlohmann/json.hpp>

#include "common/json_text.hpp"
#include "support/run_fixture.hpp"
#include "support/temp_dir.hpp"
#include "support/test_db.hpp"

namespace es {
namespace fs = std::filesystem;

TEST_CASE("non-UTF-8: json_text replaces bytes nlohmann's dump() throws on") {
  const nlohmann::json value = {{"path", std::string("caf\xe9/live.db")}};
  CHECK_THROWS(static_cast<void>(value.dump().size()));
  const auto text = json_text(value);
  CHECK(text == "{\"path\":\"caf\xef\xbf\xbd/live.db\"}");
  CHECK(nlohmann::json::parse(text)["path"] == "caf\xef\xbf\xbd/live.db");
}

TEST_CASE("non-UTF-8: check, backup, backups, restore and history on a DB in a Latin-1 folder") {
  test::TempDir dir;
  const auto folder = dir / std::string("caf\xe9");  // "café" in Latin-1: not UTF-8
  fs::create_directories(folder);
  const auto db = folder / "live.db";
  test::make_db(db, 100);
  const auto run = [&](std::vector<std::string> args) {
    args.insert(args.begin(), test::supervisor_binary());
    args.push_back("--db");
    args.push_back(db.string());
    return test::run_command(args, dir.path());
  };

  const auto check = run({"check", "--json"});
  CHECK(check.exit_code == 0);
  CHECK(nlohmann::json::parse(check.out)["result"] == "ok");
  CHECK(run({"backup"}).exit_code == 0);
  const auto backups = run({"backups", "--json"});
  CHECK(backups.exit_code == 0);
  CHECK(nlohmann::json::parse(backups.out).size() == 1);
  const auto restore = run({"restore", "--latest", "--yes"});
  CHECK(restore.exit_code == 0);
  CHECK(test::count_rows(db) == 100);
  const auto history = run({"history", "--json"});
  CHECK(history.exit_code == 0);
  CHECK(nlohmann::json::parse(history.out).is_array());
}

namespace {
// A DB whose integrity_check rows carry the byte 0xFF: an index named "ix\xff"
// whose schema was made to index another column than its entries hold.
void make_db_failing_with_byte_ff(const fs::path& db) {
  sqlite3* conn = nullptr;
  REQUIRE(sqlite3_open(db.c_str(), &conn) == SQLITE_OK);
  const char* sql =
      "CREATE TABLE t(a INTEGER, b TEXT);"
      "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 50)"
      "  INSERT INTO t SELECT x, hex(randomblob(8)) FROM c;"
      "CREATE INDEX \"ix\xff\" ON t(a);"
      "PRAGMA writable_schema = ON;"
      "UPDATE sqlite_master SET sql = replace(sql, '(a)', '(b)') WHERE type = 'index';";
  REQUIRE(sqlite3_exec(conn, sql, nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(conn);
}
}  // namespace

TEST_CASE("issue 11.7: integrity rows with byte 0xFF: check --json and run report them, no abort") {
  test::RunFixture fx;
  fx.configure({"--seconds", "30"});
  fs::remove(fx.db());
  make_db_failing_with_byte_ff(fx.db());

  const auto check = test::run_command(
      {test::supervisor_binary(), "check", "--json", "--db", fx.db().string()}, fx.dir.path());
  CHECK(check.exit_code == 65);
  const auto report = nlohmann::json::parse(check.out);
  CHECK(report.dump().find("missing from index ix\xef\xbf\xbd") != std::string::npos);

  const auto run = fx.run();
  CHECK(run.exit_code == 65);
  CHECK_FALSE(fs::exists(fx.marker()));
  const auto summary = fx.latest_summary();  // parses: the rows were replaced, not aborted on
  CHECK(summary["db_health"]["integrity_check"].dump().find("ix\xef\xbf\xbd") != std::string::npos);
}

TEST_CASE("issue 11.7: a config in a Latin-1-named folder: check --json and backups --json") {
  test::TempDir dir;
  const auto folder = dir / std::string("caf\xe9");
  fs::create_directories(folder / "backups");
  test::make_db(folder / "live.db", 20);
  test::write_file(folder / "engine-supervisor.yaml",
                   "database:\n  path: live.db\n  backup_dir: backups\n"
                   "engine:\n  command: [\"true\"]\n");
  const auto config = (folder / "engine-supervisor.yaml").string();
  const auto check =
      test::run_command({test::supervisor_binary(), "check", "--json", "--config", config}, dir.path());
  CHECK(check.exit_code == 0);
  CHECK(nlohmann::json::parse(check.out)["db_path"].get<std::string>().find("caf\xef\xbf\xbd") !=
        std::string::npos);
  CHECK(test::run_command({test::supervisor_binary(), "backup", "--config", config}, dir.path())
            .exit_code == 0);
  const auto backups = test::run_command(
      {test::supervisor_binary(), "backups", "--json", "--config", config}, dir.path());
  CHECK(backups.exit_code == 0);
  CHECK(nlohmann::json::parse(backups.out).size() == 1);
}

}  // namespace es
