// The WAL fold on real files: a writer's crash image (committed rows only in
// its -wal) is folded into the main file, which then holds every row alone.
// Portable: no processes, so it runs under Wine too. The other process that
// holds the DB is in run_at_rest_test.cpp.

#include "common/wal_fold.hpp"

#include <sqlite3.h>

#include <doctest/doctest.h>

#include <stdexcept>

#include "support/temp_dir.hpp"
#include "support/test_db.hpp"

using namespace es;
namespace fs = std::filesystem;

namespace {

constexpr int kBaseRows = 10;

void exec(sqlite3* db, const std::string& sql) {
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) {
    throw std::runtime_error("test sql failed: " + sql + ": " + sqlite3_errmsg(db));
  }
}

using test::side;

// Leaves at `db` what a writer killed while idle leaves: the main file with
// kBaseRows rows, and `extra_rows` more committed only in the -wal, with its
// -shm. The writer's close is told not to checkpoint, so it leaves both
// files as a kill would (SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE).
void make_crash_image(const fs::path& db, int extra_rows) {
  test::make_db(db, kBaseRows, 50);
  sqlite3* writer = nullptr;
  REQUIRE(sqlite3_open(db.string().c_str(), &writer) == SQLITE_OK);
  REQUIRE(sqlite3_db_config(writer, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, nullptr) == SQLITE_OK);
  exec(writer, "PRAGMA wal_autocheckpoint=0");
  for (int i = 0; i < extra_rows; ++i) exec(writer, "INSERT INTO t(payload) VALUES ('later')");
  sqlite3_close(writer);
}

// Rows in `db`'s main file read alone: a copy of just that file, in a folder
// of its own, as a sync tool or a `cp` would take it.
std::int64_t rows_in_main_file_alone(const fs::path& db) {
  const test::TempDir alone;
  fs::copy_file(db, alone / "copy.db");
  return test::count_rows(alone / "copy.db");
}

std::vector<std::string> names(const std::vector<FileAtRest>& files) {
  std::vector<std::string> found;
  for (const auto& file : files) found.push_back(file.name);
  return found;
}

int header_read_version(const fs::path& db) {
  return static_cast<unsigned char>(test::read_file(db).at(19));
}

}  // namespace

TEST_CASE("wal fold: committed rows only in the -wal go into the main file, and no -wal or -shm remain") {
  const test::TempDir dir;
  const auto db = dir / "live.db";
  make_crash_image(db, 40);
  REQUIRE(rows_in_main_file_alone(db) == kBaseRows);  // the rows are in the -wal only
  CHECK(names(files_at_rest(db)) == std::vector<std::string>{"live.db", "live.db-wal", "live.db-shm"});

  const auto fold = fold_wal(db);
  CAPTURE(fold.message);
  CHECK(fold.status == FoldStatus::kFolded);
  REQUIRE(fold.frames_checkpointed.has_value());
  CHECK(*fold.frames_checkpointed >= 40);  // one commit frame at least per insert
  CHECK(fold.message.empty());
  CHECK_FALSE(fs::exists(side(db, "-wal")));
  CHECK_FALSE(fs::exists(side(db, "-shm")));
  CHECK(rows_in_main_file_alone(db) == kBaseRows + 40);
  CHECK(header_read_version(db) == 2);  // still in WAL mode
  const auto at_rest = files_at_rest(db);
  REQUIRE(at_rest.size() == 1);
  CHECK(at_rest[0].name == "live.db");
  CHECK(at_rest[0].bytes == fs::file_size(db));
}

TEST_CASE("wal fold: a -wal with no frames beside its -shm, as a read-only check leaves them, folds 0 frames and goes") {
  const test::TempDir dir;
  const auto db = dir / "live.db";
  test::make_db(db, kBaseRows, 50);
  test::write_file(side(db, "-wal"), "");
  REQUIRE(test::count_rows(db) == kBaseRows);  // a read-only open: it makes the -shm
  REQUIRE(fs::exists(side(db, "-shm")));
  const auto before = test::read_file(db);

  const auto fold = fold_wal(db);
  CAPTURE(fold.message);
  CHECK(fold.status == FoldStatus::kFolded);
  CHECK(fold.frames_checkpointed == std::optional<std::int64_t>(0));
  CHECK(names(files_at_rest(db)) == std::vector<std::string>{"live.db"});
  CHECK(test::read_file(db) == before);
}

TEST_CASE("wal fold: a DB in rollback-journal mode has nothing to fold, and no byte of its files changes") {
  const test::TempDir dir;
  const auto db = dir / "live.db";
  test::make_db(db, kBaseRows, 50);
  sqlite3* conn = nullptr;
  REQUIRE(sqlite3_open(db.string().c_str(), &conn) == SQLITE_OK);
  exec(conn, "PRAGMA journal_mode=DELETE");
  sqlite3_close(conn);
  // A rollback journal left by a writer killed mid-transaction: opening the
  // DB would roll it back. The fold must not open it.
  test::write_file(side(db, "-journal"), "journal bytes");
  const auto before = test::read_file(db);

  const auto fold = fold_wal(db);
  CHECK(fold.status == FoldStatus::kNotWal);
  CHECK_FALSE(fold.frames_checkpointed.has_value());
  CHECK(test::read_file(db) == before);
  CHECK(test::read_file(side(db, "-journal")) == "journal bytes");
  CHECK(names(files_at_rest(db)) == std::vector<std::string>{"live.db", "live.db-journal"});
  CHECK(std::distance(fs::directory_iterator(dir.path()), {}) == 2);
}

TEST_CASE("wal fold: a missing or foreign DB fails, naming it, and is never created or changed") {
  const test::TempDir dir;
  const auto db = dir / "live.db";
  SUBCASE("missing") {
    const auto fold = fold_wal(db);
    CHECK(fold.status == FoldStatus::kFailed);
    CHECK(fold.message.find(db.string()) != std::string::npos);
    CHECK(fs::is_empty(dir.path()));
    CHECK(files_at_rest(db).empty());
  }
  SUBCASE("not an SQLite file") {
    test::write_file(db, std::string(4096, 'x'));
    const auto fold = fold_wal(db);
    CHECK(fold.status == FoldStatus::kFailed);
    CHECK(fold.message.find("not an SQLite header") != std::string::npos);
    CHECK(test::read_file(db) == std::string(4096, 'x'));
    CHECK(std::distance(fs::directory_iterator(dir.path()), {}) == 1);
  }
}
