// A hot rollback journal (issue 11, item 2): found raw before the gate, and
// rolled back only after the DB and the journal are set aside as evidence.
// With a real crashed writer's files (test::leave_hot_journal). `run` and
// `check` through the real binary are in hot_journal_run_test.cpp.

#include "common/hot_journal.hpp"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "common/integrity_check.hpp"
#include "common/integrity_gate.hpp"
#include "support/temp_dir.hpp"
#include "support/test_db.hpp"

using namespace es;
namespace fs = std::filesystem;

namespace {

using test::side;

}  // namespace

TEST_CASE("issue 11.2: a crashed writer's hot journal is rolled back after the DB and the journal are copied aside") {
  test::TempDir dir;
  const auto db = dir / "live.db";
  test::make_db(db, 150);
  test::leave_hot_journal(db, 2000);
  const auto db_bytes = test::read_file(db);
  const auto journal_bytes = test::read_file(side(db, "-journal"));
  REQUIRE(journal_bytes.size() > 0);

  const auto found = find_hot_journal(db);
  REQUIRE(found.has_value());
  CHECK(found->header_valid);
  CHECK(found->journal_bytes == journal_bytes.size());
  CHECK(found->db_bytes == db_bytes.size());
  // The gate says so, reads the DB as the rollback will leave it, and
  // changes nothing.
  const auto gate = run_integrity_gate({db, dir / "backups", CheckMode::kFull, false, ""});
  CHECK(gate.passed());
  REQUIRE(gate.hot_journal.has_value());
  CHECK(test::read_file(db) == db_bytes);
  CHECK(test::read_file(side(db, "-journal")) == journal_bytes);

  const auto rolled = roll_back_hot_journal(*found, dir / "backups", Clock::now());
  REQUIRE(rolled.has_value());
  // The evidence: the pair as the crash left it, byte for byte.
  CHECK(rolled->evidence_folder.parent_path() == dir / "backups");
  CHECK(rolled->evidence_folder.filename().string().rfind("live.db.evidence.", 0) == 0);
  CHECK(test::folder_contents(rolled->evidence_folder) ==
        std::map<std::string, std::string>{{"live.db", db_bytes},
                                           {"live.db-journal", journal_bytes}});
  // The rollback: no journal, the committed rows and none of the crashed
  // transaction's, and a DB that checks ok.
  CHECK_FALSE(fs::exists(side(db, "-journal")));
  CHECK_FALSE(find_hot_journal(db).has_value());
  CHECK(test::count_rows(db) == 150);
  CHECK(test::uncommitted_rows(db) == 0);
  CHECK(rolled->db_bytes_after == fs::file_size(db));
  CHECK(rolled->db_bytes_after < db_bytes.size());
  const auto report = run_integrity_check(db, CheckMode::kQuick);
  CHECK(report.ok());
  CHECK(report.read_method == "plain");
}

TEST_CASE("issue 11.2: a -journal that SQLite would not roll back is not hot") {
  test::TempDir dir;
  const auto db = dir / "live.db";
  test::make_db(db, 50);
  test::leave_hot_journal(db, 0);  // DELETE mode, no journal
  CHECK_FALSE(find_hot_journal(db).has_value());
  SUBCASE("a 0-byte journal (TRUNCATE mode's rest)") { test::write_file(side(db, "-journal"), ""); }
  SUBCASE("a zeroed header (PERSIST mode's rest)") {
    test::write_file(side(db, "-journal"), std::string(512, '\0') + "old pages");
  }
  SUBCASE("beside a 0-byte DB") {
    test::write_file(side(db, "-journal"), "\xd9\xd5\x05\xf9\x20\xa1\x63\xd7 rest");
    test::truncate_to(db, 0);
  }
  CHECK_FALSE(find_hot_journal(db).has_value());
}

TEST_CASE("issue 11.2: without room for the evidence, nothing is rolled back") {
  test::TempDir dir;
  const auto db = dir / "live.db";
  test::make_db(db, 100);
  test::leave_hot_journal(db, 2000);
  const auto before = test::folder_contents(dir.path());
  // A file where the backup folder should be: the evidence folder cannot be made.
  test::write_file(dir / "backups", "not a folder");
  const auto found = find_hot_journal(db);
  REQUIRE(found.has_value());
  const auto rolled = roll_back_hot_journal(*found, dir / "backups", Clock::now());
  REQUIRE_FALSE(rolled.has_value());
  CHECK(rolled.error().exit_code == ExitCode::kIoError);
  CHECK(rolled.error().message.find("was not rolled back") != std::string::npos);
  auto after = test::folder_contents(dir.path());
  after.erase("backups");
  CHECK(after == before);  // the DB and its journal as they were
}
