#include "common/db_reader.hpp"

#include <doctest/doctest.h>

#include "common/backup_store.hpp"
#include "common/integrity_check.hpp"
#include "support/temp_dir.hpp"
#include "support/test_db.hpp"

namespace es {
namespace fs = std::filesystem;
using test::TempDir;

namespace {

using test::side;

std::int64_t rows_through(DbReader& reader) {
  auto rows = reader.db().query_int("SELECT count(*) FROM t", "count");
  REQUIRE(rows);
  return *rows;
}

// Everything that reads the live DB, then what the folder holds afterwards
// must equal what it held before: no byte changed, no file created or gone.
void expect_reads_change_nothing(const TempDir& dir, const fs::path& db) {
  const auto before = test::folder_contents(dir.path());
  (void)run_integrity_check(db, CheckMode::kFull);
  (void)run_integrity_check(db, CheckMode::kQuick);
  {
    auto reader = DbReader::open(db);
    if (reader) (void)reader->db().query_int("SELECT count(*) FROM sqlite_schema", "schema");
  }
  TempDir elsewhere;
  (void)copy_database(db, elsewhere / "copy.db");
  CHECK(test::folder_contents(dir.path()) == before);
}

}  // namespace

TEST_CASE(
    "db_reader: each combination of side files is read by the right method, changing nothing") {
  TempDir dir;
  const auto db = dir / "live.db";
  test::make_db(db, 100);

  struct Case {
    const char* name;
    ReadMethod method;
    std::int64_t rows;
  };
  Case expected{"", ReadMethod::kMainFileOnly, 100};

  SUBCASE("WAL-mode DB alone: a plain read-only open would create a -wal") {
    expected = {"db only", ReadMethod::kMainFileOnly, 100};
  }
  SUBCASE("-wal with frames and its -shm: read through the -shm") {
    test::commit_in_wal_only(db, 50);
    expected = {"wal+shm", ReadMethod::kLiveIndex, 150};
  }
  SUBCASE("-wal with frames and no -shm: a private copy") {
    test::commit_in_wal_only(db, 50);
    fs::remove(side(db, "-shm"));
    expected = {"wal, no shm", ReadMethod::kPrivateCopy, 150};
  }
  SUBCASE("the lost-WAL state: a 0-byte -wal and a -shm that records frames") {
    test::commit_in_wal_only(db, 50);
    test::truncate_to(side(db, "-wal"), 0);
    expected = {"0-byte wal+shm", ReadMethod::kMainFileOnly, 100};
  }
  SUBCASE("a -shm and no -wal") {
    test::commit_in_wal_only(db, 50);
    fs::remove(side(db, "-wal"));
    expected = {"shm, no wal", ReadMethod::kMainFileOnly, 100};
  }
  SUBCASE("a 0-byte -wal and no -shm") {
    test::write_file(side(db, "-wal"), "");
    expected = {"0-byte wal", ReadMethod::kMainFileOnly, 100};
  }
  SUBCASE("a rollback-mode DB") {
    test::leave_hot_journal(db, 0);
    expected = {"rollback", ReadMethod::kPlain, 100};
  }
  SUBCASE("a rollback-mode DB with a hot journal: rolled back in a private copy") {
    test::leave_hot_journal(db, 2000);
    REQUIRE(fs::file_size(side(db, "-journal")) > 0);
    expected = {"hot journal", ReadMethod::kPrivateCopy, 100};
  }
  CAPTURE(expected.name);
  {
    auto reader = DbReader::open(db);
    REQUIRE(reader.has_value());
    CHECK(reader->method() == expected.method);
    CHECK(rows_through(*reader) == expected.rows);
    CHECK_FALSE(reader->disturbed());
  }
  const auto report = run_integrity_check(db, CheckMode::kFull);
  CHECK(report.ok());
  CHECK(report.read_method == to_string(expected.method));
  expect_reads_change_nothing(dir, db);
}

TEST_CASE("db_reader: damaged DBs are checked without a file changed or created beside them") {
  TempDir dir;
  const auto db = dir / "live.db";
  test::make_db(db, 400);
  const auto page = static_cast<std::uintmax_t>(test::page_size_of(db));
  SUBCASE("garbage in a page") { test::overwrite(db, 3 * page + 20, 200); }
  SUBCASE("a zeroed header") { test::overwrite(db, 0, 100, 0); }
  SUBCASE("truncated") { test::truncate_to(db, 2 * page + 17); }
  SUBCASE("text") { test::write_file(db, "this is not a database\n"); }
  SUBCASE("0 bytes") { test::truncate_to(db, 0); }
  SUBCASE("garbage in a page, with frames in the -wal") {
    test::commit_in_wal_only(db, 50);
    test::overwrite(db, 3 * page + 20, 200);
  }
  SUBCASE("garbage in a page, with the -wal lost") {
    test::commit_in_wal_only(db, 50);
    test::truncate_to(side(db, "-wal"), 0);
    test::overwrite(db, 3 * page + 20, 200);
  }
  expect_reads_change_nothing(dir, db);
}

TEST_CASE("db_reader: the read method follows the files present") {
  DbFilesState s;
  s.db = {true, true, 4096, {}};
  CHECK(choose_read_method(s) == ReadMethod::kPlain);
  s.wal_mode_header = true;
  CHECK(choose_read_method(s) == ReadMethod::kMainFileOnly);
  s.wal = {true, true, 32, {}};
  CHECK(choose_read_method(s) == ReadMethod::kMainFileOnly);
  s.wal.size = 32 + 24 + 4096;
  CHECK(choose_read_method(s) == ReadMethod::kPrivateCopy);
  s.shm = {true, true, 32768, {}};
  CHECK(choose_read_method(s) == ReadMethod::kLiveIndex);
  s.journal = {true, true, 512, {}};
  CHECK(choose_read_method(s) == ReadMethod::kPrivateCopy);
  s.db.size = 0;
  CHECK(choose_read_method(s) == ReadMethod::kMainFileOnly);
}

TEST_CASE("db_reader: a folder named as the DB is refused, not opened") {
  TempDir dir;
  fs::create_directory(dir / "live.db");
  auto reader = DbReader::open(dir / "live.db");
  REQUIRE_FALSE(reader.has_value());
  CHECK(reader.error().message.find("not a regular file") != std::string::npos);
}

TEST_CASE("sqlite_uri: absolute, '/'-separated, and a name's '?', '#' and '%' stay in the name") {
  const auto uri = sqlite_uri(fs::absolute("a dir/x?y#z%.db"), "immutable=1");
  CHECK(uri.rfind("file:///", 0) == 0);
  CHECK(uri.find("a%20dir/x%3Fy%23z%25.db?immutable=1") != std::string::npos);
  TempDir dir;
  const auto odd = dir / "odd #%.db";
  test::make_db(odd, 10);
  auto reader = DbReader::open(odd);
  REQUIRE(reader.has_value());
  CHECK(rows_through(*reader) == 10);
}

}  // namespace es
