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

}  // namespace

TEST_CASE("issue 14: the full check's cache is sized to the indexes: big for an index-heavy DB, SQLite's default for one of blobs") {
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
  const auto indexed = check_cache_kib(dir / "indexed.db");
  const auto blobs = check_cache_kib(dir / "blobs.db");
  CAPTURE(indexed);
  CAPTURE(blobs);
  CHECK(indexed >= 12 * 1024);  // the indexes are over half of the file
  CHECK(indexed <= kMaxCheckCacheKib);
  CHECK(blobs <= kMinCheckCacheKib + 512);
  CHECK(blobs >= kMinCheckCacheKib);

  // Anything it cannot read as a DB gets the default: the check decides the rest.
  test::write_file(dir / "not-a-db", std::string(100000, 'x'));
  CHECK(check_cache_kib(dir / "not-a-db") == kMinCheckCacheKib);
  CHECK(check_cache_kib(dir / "missing.db") == kMinCheckCacheKib);
  test::write_file(dir / "empty.db", "");
  CHECK(check_cache_kib(dir / "empty.db") == kMinCheckCacheKib);
}
