// Continuity between sessions, on real files: a record of the DB at rest,
// then what other writers, copies and tools do to it, then the comparison.

#include "common/db_continuity.hpp"

#include <doctest/doctest.h>

#include <thread>

#include "common/sqlite_db.hpp"
#include "common/time_stamp.hpp"
#include "support/temp_dir.hpp"
#include "support/test_db.hpp"

using namespace es;
namespace fs = std::filesystem;

namespace {

// A writer that is not the supervisor: its own connection, closed again, so
// the WAL is checkpointed into the main file as any tool's last close does.
void write_with_sqlite(const fs::path& db, const std::string& sql) {
  auto connection = SqliteDb::open_owned(db, false);
  REQUIRE(connection.has_value());
  REQUIRE(connection->execute(sql, "test write").has_value());
}

DbAtRest record_of(const fs::path& db) {
  auto looked = look_at_db(db, true);
  REQUIRE(looked.has_value());
  return *looked;
}

DbComparison compare(const DbAtRest& record, const fs::path& db) {
  auto compared = compare_with_record(record, db);
  REQUIRE(compared.has_value());
  return *compared;
}

bool mentions(const std::vector<std::string>& lines, const std::string& text) {
  for (const auto& line : lines) {
    if (line.find(text) != std::string::npos) return true;
  }
  return false;
}

// A DB made and recorded at rest, as a run leaves it.
struct RecordedDb {
  test::TempDir dir;
  fs::path db = dir / "live.db";
  DbAtRest record;

  RecordedDb() {
    test::make_db(db);
    record = record_of(db);
  }
  DbComparison compare_now() const { return compare(record, db); }
};

// A copy written over the file in place: same name, same file, new bytes.
void copy_bytes_over(const std::string& bytes, const fs::path& target) {
  test::write_file(target, bytes);
}

struct HistoryFixture {
  test::TempDir dir;
  fs::path db = dir / "live.db";
  RunHistory history{RunHistory::path_for(db)};

  HistoryFixture() { test::make_db(db); }

  void append(const nlohmann::json& event) { REQUIRE(history.append(event).has_value()); }

  // A run that starts the engine and ends; `at_rest` records the DB then.
  void run(const std::string& id, bool at_rest = true, const std::string& halt = "engine_exit") {
    append(run_started_event(id, "2026-01-01T00:00:00Z", {}));
    append(engine_started_event(id, 42, "2026-01-01T00:00:00Z"));
    if (at_rest) append(db_at_rest_event(record_of(db), "run_end", "2026-01-01T01:00:00Z", id));
    RunRecord finished;
    finished.run_id = id;
    finished.outcome = halt == "supervisor_lost" ? "unclean" : "clean";
    finished.halt_reason = halt;
    finished.ended_at = "2026-01-01T01:00:01Z";
    append(run_finished_event(finished));
  }

  ContinuityResult check(ChangePolicy policy = ChangePolicy::kRefuse, bool accept = false) {
    ContinuityRequest request{db, dir.path(), policy, accept, "--config /x/es.yaml", {}};
    return check_continuity(request, history.load());
  }
};

}  // namespace

TEST_CASE("continuity: nothing changed, and the content is not read") {
  const RecordedDb f;
  CHECK(f.record.digest.size() == 32);
  const auto compared = f.compare_now();
  CHECK_FALSE(compared.changed());
  CHECK_FALSE(compared.digest_read);
  CHECK(compared.notes.empty());
}

TEST_CASE("continuity: a row appended with sqlite between two records is a change in size, mtime and content") {
  const RecordedDb f;
  const auto& [db, record] = std::tie(f.db, f.record);
  write_with_sqlite(db, "INSERT INTO t(payload) VALUES(printf('%.3000c', 'x'))");
  const auto compared = f.compare_now();
  CHECK(compared.changed());
  CHECK(compared.digest_read);
  CHECK(mentions(compared.differences, "size " + std::to_string(record.main->size) + " → "));
  CHECK(mentions(compared.differences, "modified "));
  CHECK(mentions(compared.differences, "content (xxh3_128) " + record.digest + " → "));
  CHECK_FALSE(mentions(compared.differences, "file identity"));
  // Recorded again, the DB is as recorded.
  CHECK_FALSE(compare(record_of(db), db).changed());
}

TEST_CASE("continuity: an older copy of the same size put in place is a change of content") {
  test::TempDir dir;
  const auto db = dir / "live.db";
  test::make_db(db);
  const auto older = test::read_file(db);
  // The same length of text: the pages change, the size does not.
  write_with_sqlite(db, "UPDATE t SET payload = replace(payload, '-', '+') WHERE id = 1");
  const auto record = record_of(db);
  REQUIRE(record.main->size == older.size());
  SUBCASE("copied over it, with the copy's older mtime kept (cp -p, a sync tool)") {
    copy_bytes_over(older, db);
    fs::last_write_time(db, fs::last_write_time(db) - std::chrono::hours(24));
  }
  SUBCASE("copied over it, then its mtime set back to the recorded one") {
    // Only the inode change time, which no program can set, still moves.
    const auto recorded_mtime = fs::last_write_time(db);
    std::this_thread::sleep_for(std::chrono::milliseconds(60));
    copy_bytes_over(older, db);
    fs::last_write_time(db, recorded_mtime);
  }
  const auto compared = compare(record, db);
  CHECK(compared.changed());
  CHECK_FALSE(mentions(compared.differences, "size "));
  CHECK(mentions(compared.differences, "content (xxh3_128)"));
  CHECK(compared.now.main->identity == record.main->identity);
}

TEST_CASE("continuity: a touch that moves only the mtime is not a change, and is said as a note") {
  const RecordedDb f;
  fs::last_write_time(f.db, fs::last_write_time(f.db) + std::chrono::hours(1));
  const auto compared = f.compare_now();
  CHECK_FALSE(compared.changed());
  CHECK(compared.digest_read);  // the mtime differed: the content had to be read
  CHECK(mentions(compared.notes, "same content"));
  CHECK(mentions(compared.notes, "modified "));
}

TEST_CASE("continuity: another file with identical bytes under the DB's name is not a change") {
  const RecordedDb f;
  test::write_file(f.dir / "copy.tmp", test::read_file(f.db));
  fs::rename(f.dir / "copy.tmp", f.db);
  const auto compared = f.compare_now();
  CHECK_FALSE(compared.changed());
  CHECK(compared.now.main->identity != f.record.main->identity);
  CHECK(mentions(compared.notes, "file identity"));
}

TEST_CASE("continuity: a -wal with frames that appeared is a change; a reader's empty -wal and -shm are not") {
  const RecordedDb f;
  const auto& dir = f.dir;
  SUBCASE("a reader's leftovers") {
    test::write_file(dir / "live.db-wal", "");
    test::write_file(dir / "live.db-shm", std::string(32768, '\0'));
    const auto compared = f.compare_now();
    CHECK_FALSE(compared.changed());
    CHECK(mentions(compared.notes, "live.db-wal appeared (0 bytes)"));
    CHECK(mentions(compared.notes, "live.db-shm appeared (32768 bytes)"));
  }
  SUBCASE("committed frames") {
    test::write_file(dir / "live.db-wal", std::string(4152, 'w'));
    const auto compared = f.compare_now();
    CHECK(compared.changed());
    CHECK(mentions(compared.differences, "live.db-wal appeared (4152 bytes): committed"));
    CHECK(compared.digest_read);  // so the change can be recorded when accepted
  }
  SUBCASE("frames that were there at rest, moved aside by --accept-data-loss") {
    test::write_file(dir / "live.db-wal", std::string(4152, 'w'));
    const auto with_frames = record_of(f.db);
    fs::rename(dir / "live.db-wal", dir / "aside-wal");
    CHECK(compare(with_frames, f.db).changed());
    auto aside = compare_with_record(with_frames, f.db, {"-wal", "-shm"});
    REQUIRE(aside.has_value());
    CHECK_FALSE(aside->changed());
    CHECK(mentions(aside->notes, "moved it aside (--accept-data-loss)"));
  }
  SUBCASE("a hot journal") {
    test::write_file(dir / "live.db-journal", std::string(512, 'j'));
    CHECK(mentions(f.compare_now().differences, "hot journal"));
  }
}

TEST_CASE("continuity: a DB that is gone is a change") {
  const RecordedDb f;
  fs::remove(f.db);
  const auto compared = f.compare_now();
  CHECK(compared.changed());
  CHECK(mentions(compared.differences, "the DB is gone"));
}

TEST_CASE("continuity: a write right after the record, in the same clock tick as the last one, is still seen") {
  // File times come from a clock that ticks every few milliseconds: two
  // writes within one tick get the same mtime and ctime. The record waits
  // out the tick of the last write, so a later one moves the mtime.
  test::TempDir dir;
  const auto db = dir / "live.db";
  for (int attempt = 0; attempt < 5; ++attempt) {
    test::write_file(db, std::string(8192, 'a'));
    const auto record = record_of(db);
    // Where the kernel stamps coarsely (Linux before 6.13, Windows), only
    // the wait makes the next check see the write; it is checked here too.
    const auto recorded_at = std::chrono::duration_cast<std::chrono::nanoseconds>(
                                 Clock::now().time_since_epoch())
                                 .count();
    CHECK(recorded_at - record.main->modified_ns >= 50'000'000);
    test::write_file(db, std::string(8192, 'b'));  // same size, microseconds later
    CHECK(compare(record, db).changed());
  }
}

TEST_CASE("continuity check: no history is a first run; a run that recorded nothing since is no_record") {
  HistoryFixture f;
  CHECK(f.check().status == Continuity::kFirstRun);

  SUBCASE("a history of a version that recorded nothing") {
    f.run("r1", /*at_rest=*/false);
    const auto result = f.check();
    CHECK(result.status == Continuity::kNoRecord);
    CHECK(result.detail.find("r1") != std::string::npos);
  }
  SUBCASE("a lost run after the record: its engine may have written") {
    f.run("r1");
    f.run("r2", /*at_rest=*/false, "supervisor_lost");
    write_with_sqlite(f.db, "INSERT INTO t(payload) VALUES('by the lost run')");
    const auto result = f.check();
    CHECK(result.status == Continuity::kNoRecord);
    CHECK(result.detail.find("r2") != std::string::npos);
    CHECK(result.detail.find("its supervisor was lost") != std::string::npos);
    CHECK_FALSE(result.refusal.has_value());
  }
  SUBCASE("an aborted run that never started the engine leaves the record in force") {
    f.run("r1");
    f.append(run_started_event("r2", "2026-01-02T00:00:00Z", {}));
    RunRecord aborted;
    aborted.run_id = "r2";
    aborted.outcome = "aborted";
    aborted.halt_reason = "integrity_failed";
    aborted.ended_at = "2026-01-02T00:00:01Z";
    f.append(run_finished_event(aborted));
    CHECK(f.check().status == Continuity::kOk);
    write_with_sqlite(f.db, "INSERT INTO t(payload) VALUES('between')");
    CHECK(f.check().status == Continuity::kChangedRefused);
  }
}

TEST_CASE("continuity check: a change refuses with 65, says what differs and when, and offers both ways on") {
  HistoryFixture f;
  f.run("r1");
  CHECK(f.check().status == Continuity::kOk);
  write_with_sqlite(f.db, "INSERT INTO t(payload) VALUES(printf('%.5000c', 'y'))");
  const auto result = f.check();
  CHECK(result.status == Continuity::kChangedRefused);
  REQUIRE(result.refusal.has_value());
  CHECK(result.refusal->exit_code == ExitCode::kIntegrityFailed);
  const auto& message = result.refusal->message;
  INFO(message);
  CHECK(message.find("The DB changed between sessions — session refused.") == 0);
  CHECK(message.find("recorded: at the end of run r1, 2026-01-01T01:00:00Z") != std::string::npos);
  CHECK(message.find("size ") != std::string::npos);
  CHECK(message.find("content (xxh3_128)") != std::string::npos);
  CHECK(message.find(" run --config /x/es.yaml --accept-changed-db") !=
        std::string::npos);
  CHECK(message.find("no backup of this DB in") != std::string::npos);
  CHECK(message.find("on_change_between_sessions: warn") != std::string::npos);
  CHECK_FALSE(result.accepted.has_value());
}

TEST_CASE("continuity check: warn and --accept-changed-db go on, and the accepted record is the next baseline") {
  for (const bool accept : {false, true}) {
    CAPTURE(accept);
    HistoryFixture f;
    f.run("r1");
    write_with_sqlite(f.db, "INSERT INTO t(payload) VALUES('between')");
    const auto result = f.check(accept ? ChangePolicy::kRefuse : ChangePolicy::kWarn, accept);
    CHECK(result.status == (accept ? Continuity::kChangedAccepted : Continuity::kChangedWarned));
    CHECK_FALSE(result.refusal.has_value());
    CHECK(result.report.find("changed between sessions") != std::string::npos);
    REQUIRE(result.accepted.has_value());
    CHECK(result.accepted->digest.size() == 32);
    f.append(db_change_accepted_event("r2", "2026-01-02T00:00:00Z", result));
    const auto next = f.check();
    CHECK(next.status == Continuity::kOk);
    CHECK(next.detail.find("went on with a changed DB") != std::string::npos);
  }
}

TEST_CASE("continuity check: a restore's record explains the restored DB") {
  HistoryFixture f;
  f.run("r1");
  test::make_db(f.dir / "restored.db", 50);
  fs::rename(f.dir / "restored.db", f.db);
  CHECK(f.check().status == Continuity::kChangedRefused);
  auto event = db_at_rest_event(record_of(f.db), "restore", "2026-01-02T00:00:00Z");
  event["backup"] = "/b/live.db.bak.20260101T000000Z";
  f.append(event);
  const auto result = f.check();
  CHECK(result.status == Continuity::kOk);
  CHECK(result.detail.find("by the restore of /b/live.db.bak.20260101T000000Z") !=
        std::string::npos);
}

TEST_CASE("continuity check: a DB gone since the record refuses with 66") {
  HistoryFixture f;
  f.run("r1");
  fs::remove(f.db);
  const auto result = f.check();
  REQUIRE(result.refusal.has_value());
  CHECK(result.refusal->exit_code == ExitCode::kDbMissing);
  CHECK(result.refusal->message.find("the DB is gone") != std::string::npos);
}

TEST_CASE("continuity check: an unreadable record is skipped with a note, and an older one counts") {
  HistoryFixture f;
  f.run("r1");
  f.append({{"event", "db_at_rest"}, {"at", "2026-01-03T00:00:00Z"}, {"db", {{"exists", "yes"}}}});
  const auto result = f.check();
  CHECK(result.status == Continuity::kOk);
  CHECK(mentions(result.notes, "unreadable"));
}
