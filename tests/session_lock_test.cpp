#include "common/session_lock.hpp"

#include <doctest/doctest.h>
#include <sqlite3.h>

#include "common/integrity_check.hpp"

#include "support/temp_dir.hpp"
#include "support/test_db.hpp"

using namespace es;

TEST_CASE("lock: a second holder is refused with 75, naming the first's pid and start") {
  test::TempDir dir;
  auto first = SessionLock::acquire(dir / "live.db");
  REQUIRE(first.has_value());
  REQUIRE(first->record({1234, "run-1", "2026-01-01T00:00:00Z", "2026-01-01T00:01:00Z"}));
  auto second = SessionLock::acquire(dir / "live.db");
  REQUIRE_FALSE(second.has_value());
  CHECK(second.error().exit_code == ExitCode::kLocked);
  CHECK(second.error().message.find("pid 1234") != std::string::npos);
  CHECK(second.error().message.find("started 2026-01-01T00:00:00Z") != std::string::npos);
}

TEST_CASE("lock: released with its owner, and the next holder reads the last heartbeat") {
  test::TempDir dir;
  {
    auto first = SessionLock::acquire(dir / "live.db");
    REQUIRE(first.has_value());
    REQUIRE(first->record({1234, "run-1", "2026-01-01T00:00:00Z", "2026-01-01T00:05:00Z"}));
  }
  auto next = SessionLock::acquire(dir / "live.db");
  REQUIRE(next.has_value());
  REQUIRE(next->previous().has_value());
  CHECK(next->previous()->run_id == "run-1");
  CHECK(next->previous()->heartbeat_at == "2026-01-01T00:05:00Z");
  CHECK(std::filesystem::exists(dir / "live.db.supervisor.lock"));
  CHECK_FALSE(std::filesystem::exists(dir / "live.db"));  // never creates the DB
}

// Issue 11.1: the lock goes by the file, not by how its path is spelled.
namespace {

// A DB in a/ and a second name for the same file in b/.
struct HardLinked {
  test::TempDir dir;
  std::filesystem::path db = dir / "a" / "live.db";
  std::filesystem::path alias = dir / "b" / "alias.db";
  HardLinked() {
    std::filesystem::create_directories(db.parent_path());
    std::filesystem::create_directories(alias.parent_path());
    test::make_db(db, 50);
    std::filesystem::create_hard_link(db, alias);
  }
};

void write_rows(const std::filesystem::path& db, int rows) {
  sqlite3* handle = nullptr;
  REQUIRE(sqlite3_open(db.string().c_str(), &handle) == SQLITE_OK);
  for (int i = 0; i < rows; ++i) {
    REQUIRE(sqlite3_exec(handle, "INSERT INTO t(payload) VALUES ('under the lock')", nullptr,
                         nullptr, nullptr) == SQLITE_OK);
  }
  REQUIRE(sqlite3_exec(handle, "PRAGMA wal_checkpoint(TRUNCATE)", nullptr, nullptr, nullptr) ==
          SQLITE_OK);
  REQUIRE(sqlite3_close(handle) == SQLITE_OK);
}

}  // namespace

TEST_CASE("issue 11.1: a hard link to a locked DB is refused with 75; a dry run's look creates nothing") {
  HardLinked files;
  auto first = SessionLock::acquire(files.db);
  REQUIRE(first.has_value());

  // What restore --dry-run asks: refused, and it leaves no lock file.
  const auto before = test::folder_contents(files.alias.parent_path());
  auto probed = SessionLock::probe(files.alias);
  REQUIRE_FALSE(probed.has_value());
  CHECK(probed.error().exit_code == ExitCode::kLocked);
  CHECK(test::folder_contents(files.alias.parent_path()) == before);

  auto second = SessionLock::acquire(files.alias);
  REQUIRE_FALSE(second.has_value());
  CHECK(second.error().exit_code == ExitCode::kLocked);
  CHECK(second.error().message.find("through another name") != std::string::npos);
  CHECK(second.error().message.find(files.alias.string()) != std::string::npos);
}

TEST_CASE("issue 11.1: the DB file's lock is let go with its owner") {
  HardLinked files;
  { REQUIRE(SessionLock::acquire(files.db).has_value()); }
  CHECK(SessionLock::acquire(files.alias).has_value());
}

TEST_CASE("issue 11.1: SQLite opens, writes and closes the DB in the lock's process; the lock holds") {
  // SQLite closing its own descriptors of the DB drops every classic POSIX
  // lock this process has on the file: the DB file's lock must not be one.
  HardLinked files;
  auto lock = SessionLock::acquire(files.db);
  REQUIRE(lock.has_value());
  write_rows(files.db, 20);
  write_rows(files.alias, 5);  // SQLite through the other name, in this process, too
  CHECK(test::count_rows(files.db) == 75);
  CHECK(run_integrity_check(files.db, CheckMode::kFull).ok());
  auto other = SessionLock::acquire(files.alias);
  REQUIRE_FALSE(other.has_value());
  CHECK(other.error().exit_code == ExitCode::kLocked);
}

TEST_CASE("issue 11.1: the DB moves aside under its lock; lock_db_file then holds the file moved in") {
  HardLinked files;
  auto lock = SessionLock::acquire(files.db);
  REQUIRE(lock.has_value());
  const auto aside = files.dir / "a" / "live.db.replaced.20260101T000000Z";
  std::filesystem::rename(files.db, aside);  // as restore does, with the lock held
  test::make_db(files.db, 10);
  const auto restored_alias = files.dir / "b" / "restored.db";
  std::filesystem::create_hard_link(files.db, restored_alias);

  REQUIRE(lock->lock_db_file());
  auto through_new = SessionLock::acquire(restored_alias);
  REQUIRE_FALSE(through_new.has_value());
  CHECK(through_new.error().exit_code == ExitCode::kLocked);
  // The old file, under its old second name, is no longer held.
  CHECK(SessionLock::acquire(files.alias).has_value());
  CHECK(test::count_rows(aside) == 50);
}
