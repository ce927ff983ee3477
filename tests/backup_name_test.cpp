#include "common/backup_name.hpp"

#include <doctest/doctest.h>

using namespace es;

TEST_CASE("backup_name: formats <db>.<kind>.<stamp>[-N] and parses it back") {
  const auto when = *parse_compact_stamp("20260422T142300Z");
  CHECK(format_backup_name("live.db", {BackupKind::kPreSession, when, 1}) ==
        "live.db.bak.20260422T142300Z");
  CHECK(format_backup_name("live.db", {BackupKind::kPostSession, when, 3}) ==
        "live.db.post.20260422T142300Z-3");
  CHECK(format_backup_name("live.db", {BackupKind::kManual, when, 1}) ==
        "live.db.manual.20260422T142300Z");

  const auto parsed = parse_backup_name("live.db.post.20260422T142300Z-3", "live.db");
  REQUIRE(parsed);
  CHECK(parsed->kind == BackupKind::kPostSession);
  CHECK(parsed->stamp == when);
  CHECK(parsed->sequence == 3);
}

TEST_CASE("backup_name: only the whole pattern for this DB is a backup name") {
  for (const char* other :
       {"live.db", "live.db.bak.notes.txt", "other.db.bak.20260422T142300Z",
        "live.db.bak.20260422T142300Z.tmp", "live.db.bak.20260422T142300Z.123.tmp",
        "live.db.bak.20260422T142300Z-1", "live.db.bak.20260422T142300Z-02",
        "live.db.bak.20260422T142300Z-", "live.db.bak.20260422T142300Zx",
        "live.db.backup.20260422T142300Z", "xlive.db.bak.20260422T142300Z",
        "live.dbx.bak.20260422T142300Z", "live.db.bak.2026042T142300Z", "live.db-wal",
        "live.db.supervisor.lock"}) {
    CAPTURE(other);
    CHECK_FALSE(parse_backup_name(other, "live.db").has_value());
  }
}

TEST_CASE("backup_name: newer_than orders by stamp, then sequence") {
  const auto t1 = *parse_compact_stamp("20260422T142300Z");
  const auto t2 = *parse_compact_stamp("20260422T142301Z");
  CHECK(BackupName{BackupKind::kManual, t2, 1}.newer_than({BackupKind::kManual, t1, 9}));
  CHECK(BackupName{BackupKind::kManual, t1, 2}.newer_than({BackupKind::kManual, t1, 1}));
  CHECK_FALSE(BackupName{BackupKind::kManual, t1, 1}.newer_than({BackupKind::kManual, t1, 1}));
}
