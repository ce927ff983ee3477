#include "common/check_cache.hpp"

#include <doctest/doctest.h>

#include <string>

#include "common/sqlite_db.hpp"
#include "support/temp_dir.hpp"
#include "support/test_db.hpp"

using namespace es;
namespace fs = std::filesystem;

namespace {

void exec(const fs::path& db, const std::string& sql) {
  auto open = SqliteDb::open_owned(db, true);
  REQUIRE(open.has_value());
  REQUIRE(open->execute(sql, "test SQL").has_value());
}

std::int64_t cache_for(const fs::path& db) {
  auto open = SqliteDb::open_read_only(db);
  REQUIRE(open.has_value());
  return check_cache_kib(db, *open);
}

}  // namespace

TEST_CASE("issue 14: the full check's cache is sized to the indexes: big for scattered indexes, SQLite's default for blobs and for indexes in the table's order") {
  test::TempDir dir;
  // About 24 MB, most of it index: random keys under two indexes.
  exec(dir / "indexed.db",
       "PRAGMA journal_mode=WAL; CREATE TABLE t(id INTEGER PRIMARY KEY, a INTEGER, b TEXT);"
       "CREATE INDEX t_a ON t(a); CREATE INDEX t_b ON t(b);"
       "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 200000)"
       " INSERT INTO t(a, b) SELECT random(), hex(randomblob(24)) FROM n;"
       "PRAGMA wal_checkpoint(TRUNCATE);");
  // About 24 MB of blobs in overflow pages, with one small unique index.
  exec(dir / "blobs.db",
       "PRAGMA journal_mode=WAL; CREATE TABLE b(id INTEGER PRIMARY KEY, uuid TEXT UNIQUE, c BLOB);"
       "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 600)"
       " INSERT INTO b(uuid, c) SELECT hex(randomblob(20)), randomblob(40000) FROM n;"
       "PRAGMA wal_checkpoint(TRUNCATE);");
  // About 24 MB, a third of it index, but in the table's order: ticks whose
  // time grows with the rows, with jitter.
  exec(dir / "ticks.db",
       "PRAGMA journal_mode=WAL; CREATE TABLE t(id INTEGER PRIMARY KEY, at INTEGER, p REAL, q INTEGER);"
       "CREATE INDEX t_at ON t(at);"
       "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 600000)"
       " INSERT INTO t(at, p, q) SELECT x * 1000 + abs(random() % 5000), random() / 7.0, random() FROM n;"
       "PRAGMA wal_checkpoint(TRUNCATE);");
  const auto indexed = cache_for(dir / "indexed.db");
  const auto blobs = cache_for(dir / "blobs.db");
  const auto ticks = cache_for(dir / "ticks.db");
  CAPTURE(ticks);
  CHECK(ticks == kMinCheckCacheKib);
  CAPTURE(indexed);
  CAPTURE(blobs);
  CHECK(indexed >= 12 * 1024);  // the indexes are over half of the file
  CHECK(indexed <= kMaxCheckCacheKib);
  CHECK(blobs <= kMinCheckCacheKib + 512);
  CHECK(blobs >= kMinCheckCacheKib);

  // Anything it cannot read as a DB gets the default: the check decides the rest.
  auto connection = SqliteDb::open_read_only(dir / "indexed.db");
  REQUIRE(connection.has_value());
  test::write_file(dir / "not-a-db", std::string(100000, 'x'));
  CHECK(check_cache_kib(dir / "not-a-db", *connection) == kMinCheckCacheKib);
  CHECK(check_cache_kib(dir / "missing.db", *connection) == kMinCheckCacheKib);
  test::write_file(dir / "empty.db", "");
  CHECK(check_cache_kib(dir / "empty.db", *connection) == kMinCheckCacheKib);
  // An index it cannot scan in index order (WITHOUT ROWID) counts as scattered.
  exec(dir / "no-rowid.db",
       "CREATE TABLE w(k TEXT PRIMARY KEY, v INTEGER) WITHOUT ROWID; CREATE INDEX w_v ON w(v);");
  auto no_rowid = SqliteDb::open_read_only(dir / "no-rowid.db");
  REQUIRE(no_rowid.has_value());
  CHECK(has_scattered_index(*no_rowid));
  CHECK_FALSE(has_scattered_index(*SqliteDb::open_read_only(dir / "ticks.db")));
}
