// A DB with no tables (issue 11, item 11): a new DB whose engine has not set
// it up yet. It is never backed up, and only backups that hold tables count
// as evidence that an empty DB lost its data, so a new DB cannot lock itself
// out. The whole loop through the real binary is in empty_db_run_test.cpp.

#include <doctest/doctest.h>

#include "common/backup_store.hpp"
#include "common/integrity_gate.hpp"
#include "common/startup_check.hpp"
#include "support/temp_dir.hpp"
#include "support/test_db.hpp"

using namespace es;
namespace fs = std::filesystem;

namespace {

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("issue 11.11: a DB with no tables is not backed up, and the skip says why") {
  test::TempDir dir;
  const auto db = dir / "live.db";
  fs::create_directory(dir / "backups");
  SUBCASE("0 bytes") { test::write_file(db, ""); }
  SUBCASE("one page, no table") { test::make_schema_less_db(db); }
  const BackupStore store(db, dir / "backups");

  auto taken = store.take(BackupKind::kManual, {5});
  REQUIRE(taken.has_value());
  REQUIRE(taken->skipped.has_value());
  CHECK(contains(*taken->skipped, db.string()));
  CHECK(contains(*taken->skipped, "has no tables"));
  CHECK(taken->file.path.empty());
  CHECK(fs::is_empty(dir / "backups"));  // not even a temporary

  StartupCheckRequest request;
  request.gate = GateRequest{db, dir / "backups", CheckMode::kFull, false, ""};
  const auto startup = run_startup_check(request);
  CHECK(startup.gate.passed());  // a new DB, nothing lost
  CHECK_FALSE(startup.backup.has_value());
  CHECK_FALSE(startup.backup_error.has_value());
  REQUIRE(startup.backup_skipped.has_value());
  CHECK(contains(*startup.backup_skipped, "has no tables"));
  CHECK(fs::is_empty(dir / "backups"));
}

TEST_CASE("issue 11.11: only backups that hold tables are evidence that an empty DB lost its data") {
  test::TempDir dir;
  const auto db = dir / "live.db";
  const auto backups = dir / "backups";
  fs::create_directory(backups);
  test::write_file(db, "");
  // What an older version kept of a new DB before its engine first failed.
  test::make_schema_less_db(backups / "live.db.bak.20260102T000000Z");
  const BackupStore store(db, backups);
  CHECK(store.count_holding_tables() == 0);

  GateRequest request{db, backups, CheckMode::kFull, false, "--db x"};
  CHECK(run_integrity_gate(request).passed());

  fs::remove(db);
  request.allow_missing = true;
  const auto missing = run_integrity_gate(request);
  CHECK(missing.passed());
  CHECK(missing.first_run);
  request.allow_missing = false;
  test::write_file(db, "");

  // An older backup with tables is evidence; the restore it advises is that
  // one, not the newer backup without tables.
  test::make_db(backups / "live.db.post.20260101T000000Z", 10);
  CHECK(store.count_holding_tables() == 1);
  const auto gate = run_integrity_gate(request);
  REQUIRE_FALSE(gate.passed());
  CHECK(gate.failure->exit_code == ExitCode::kDbMissing);
  CHECK(contains(gate.failure->message, "1 backup(s) of it that hold tables"));
  CHECK(contains(gate.failure->message,
                 "newest good backup: " + (backups / "live.db.post.20260101T000000Z").string()));
  const auto newest = store.newest_verified(CheckMode::kFull);
  REQUIRE(newest.has_value());
  CHECK(newest->file.path.filename() == "live.db.post.20260101T000000Z");

  // A backup that cannot be read may hold data: it counts.
  test::write_file(backups / "live.db.manual.20260103T000000Z", "not a database at all, 40 bytes");
  CHECK(store.count_holding_tables() == 2);
}
