// Issue 13.1: in-session backups (db_safeguards.in_session_backup_minutes):
// verified online copies while the real demo engine writes, the newest 2
// kept, none when nothing changed, abandoned at once by a stop, and chosen
// by `restore --latest` after the engine was killed and a page damaged.

#include <signal.h>

#include <thread>

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include <sqlite3.h>

#include "common/integrity_check.hpp"
#include "supervisor/in_session_backup.hpp"
#include "support/run_fixture.hpp"
#include "support/test_db.hpp"

using namespace es;
namespace fs = std::filesystem;

namespace {

// Adds `lines` to the fixture's db_safeguards section.
void safeguards(const test::RunFixture& f, const std::string& lines) {
  auto text = test::read_file(f.config());
  const std::string section = "db_safeguards:\n";
  text.insert(text.find(section) + section.size(), lines);
  test::write_file(f.config(), text);
}

std::string every(const std::string& minutes) { return "  in_session_backup_minutes: " + minutes + "\n"; }

std::vector<fs::path> leftovers(const fs::path& folder) {
  std::vector<fs::path> found;
  for (const auto& entry : fs::directory_iterator(folder)) {
    const auto name = entry.path().filename().string();
    if (name.ends_with(".tmp") || name.find(".tmp-") != std::string::npos) found.push_back(entry.path());
  }
  return found;
}

}  // namespace

TEST_CASE("issue 13.1: while the engine writes, a verified live backup every interval, the newest 2 kept") {
  test::RunFixture f;
  f.configure({"--seconds", "6", "--interval-ms", "20"});
  safeguards(f, every("0.02"));  // every 1.2 s
  const auto result = f.run();
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  const auto summary = f.latest_summary();
  const auto& in_session = summary["db_health"]["in_session_backups"];
  REQUIRE(in_session.is_object());
  CHECK(in_session["every_minutes"].get<double>() == doctest::Approx(0.02));
  CHECK(in_session["taken"].size() >= 3);
  CHECK(in_session["failed"].empty());
  const auto live = f.backups("live");
  CHECK(live.size() == 2);
  for (const auto& backup : live) {
    CHECK(run_integrity_check(backup, CheckMode::kFull).ok());
    CHECK(test::count_rows(backup, "orders") > 0);
  }
  // Retention's deletions of the older ones are in the summary.
  int deleted_live = 0;
  for (const auto& deleted : summary["db_health"]["backups_deleted"]) deleted_live += deleted["kind"] == "live";
  CHECK(deleted_live == static_cast<int>(in_session["taken"].size()) - 2);
  // Each copy is newer than the last: the engine's rows keep coming.
  const auto& taken = in_session["taken"];
  CHECK(test::count_rows(f.dir / "backups" / taken[taken.size() - 1]["file"].get<std::string>(), "orders") >
        test::count_rows(f.dir / "backups" / taken[taken.size() - 2]["file"].get<std::string>(), "orders"));
  CHECK(leftovers(f.dir / "backups").empty());
  // The pre- and post-session backups are still there, untouched by live retention.
  CHECK(f.backups("bak").size() == 1);
  CHECK(f.backups("post").size() == 1);
}

TEST_CASE("issue 13.1: an engine that changes nothing gets no in-session copy") {
  test::RunFixture f;
  f.configure_command({"/bin/sleep", "3"});
  safeguards(f, every("0.01"));  // every 0.6 s
  const auto result = f.run();
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  const auto in_session = f.latest_summary()["db_health"]["in_session_backups"];
  CHECK(in_session["taken"].empty());
  CHECK(in_session["skipped_unchanged"].get<int>() >= 3);
  CHECK(f.backups("live").empty());
}

TEST_CASE("issue 13.1: a stop request abandons a running copy at once and leaves no temporary") {
  test::RunFixture f;
  fs::remove(f.db());
  test::make_big_db(f.db(), 300);
  f.configure({"--seconds", "120", "--interval-ms", "50"});
  safeguards(f, every("0.01") + "  post_session_backup_enabled: false\n  pre_session_backup_enabled: false\n");
  test::ChildProcess run(f.run_argv(), test::ChildProcess::Options{f.dir.path()});
  // A copy is under way when its temporary exists.
  const auto copying = [&] {
    for (const auto& entry : fs::directory_iterator(f.dir / "backups")) {
      const auto name = entry.path().filename().string();
      if (name.starts_with("live.db.live.") && name.ends_with(".tmp")) return true;
    }
    return false;
  };
  REQUIRE(test::wait_until(copying, 60));
  const auto asked = std::chrono::steady_clock::now();
  run.send(SIGINT);
  const auto ended = run.wait_for(60);
  REQUIRE(ended);
  INFO(ended->err);
  const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - asked).count();
  CHECK(ended->exit_code == 0);
  const auto in_session = f.latest_summary()["db_health"]["in_session_backups"];
  CHECK(in_session["abandoned"].get<int>() >= 1);
  CHECK(leftovers(f.dir / "backups").empty());
  // The stop waited for no copy: what is left of it is the post-session
  // quick_check and the fold, well under a copy and its verification.
  MESSAGE("stop to exit with a copy under way: " << took << " s");
  CHECK(took < 15);
}

TEST_CASE("issue 13.1: after a kill and a damaged page, restore --latest takes the live copy and loses minutes, not the session") {
  test::RunFixture f;
  f.configure({"--seconds", "120", "--interval-ms", "20"});
  safeguards(f, every("0.02"));
  test::ChildProcess run(f.run_argv(), test::ChildProcess::Options{f.dir.path()});
  REQUIRE(test::wait_until([&] { return fs::exists(f.marker()); }, 20));
  // The pre-session backup: the DB before the engine made its tables.
  const auto at_start = std::max<std::int64_t>(0, test::count_rows(f.backups("bak").at(0), "orders"));
  REQUIRE(test::wait_until([&] { return f.backups("live").size() >= 2; }, 30));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // rows after the last copy
  kill(static_cast<pid_t>(f.engine_pid()), SIGKILL);
  const auto ended = run.wait_for(60);
  REQUIRE(ended);
  CHECK(ended->exit_code == 1);  // unclean
  const auto rows_at_kill = test::count_rows(f.db(), "orders");

  // Damage a page in the middle of the DB, once the -wal is folded in (a
  // page's newer copy in the -wal would hide the damage).
  REQUIRE(test::run_command({"/usr/bin/sqlite3", f.db().string(), "PRAGMA wal_checkpoint(TRUNCATE);"}).exit_code == 0);
  const auto page = static_cast<std::uintmax_t>(test::page_size_of(f.db()));
  const auto pages = fs::file_size(f.db()) / page;
  REQUIRE(pages > 4);
  test::overwrite(f.db(), page * (pages / 2), static_cast<std::size_t>(page), 0x5a);
  REQUIRE_FALSE(run_integrity_check(f.db(), CheckMode::kFull).ok());

  const auto restored = test::run_command(
      {test::supervisor_binary(), "restore", "--latest", "--yes", "--config", f.config().string()},
      f.dir.path());
  INFO(restored.out << restored.err);
  REQUIRE(restored.exit_code == 0);
  CHECK((restored.out + restored.err).find("live.db.live.") != std::string::npos);
  // The plan says how much older than the last write the chosen copy is.
  CHECK((restored.out + restored.err).find(" before the DB was last written (") != std::string::npos);
  const auto rows = test::count_rows(f.db(), "orders");
  MESSAGE("rows: " << at_start << " at the start, " << rows_at_kill << " at the kill, " << rows
                   << " restored");
  CHECK(rows > at_start);  // more than the pre-session backup holds
  // At 20 ms a row, 1.2 s between copies plus a copy's own time: far
  // less than the session's rows.
  CHECK(rows_at_kill - rows < 400);
}

TEST_CASE("issue 13.1: a commit that leaves the -wal's size and mtime as they were is still seen, by the WAL index's mxFrame and salts") {
  // As on a filesystem with coarse mtimes (FAT's 2 s): the WAL restarts and
  // is rewritten in place, at the same size, within one tick of its clock.
  test::TempDir dir;
  const auto db = dir / "live.db";
  fs::create_directory(dir / "backups");
  test::make_db(db, 200);
  sqlite3* writer = nullptr;
  REQUIRE(sqlite3_open(db.string().c_str(), &writer) == SQLITE_OK);
  const auto exec = [&](const char* sql) { REQUIRE(sqlite3_exec(writer, sql, nullptr, nullptr, nullptr) == SQLITE_OK); };
  exec("PRAGMA journal_mode=WAL; PRAGMA wal_autocheckpoint=0");
  exec("UPDATE t SET payload = payload || 'x'");  // many frames

  InSessionBackups copies(db, dir / "backups", 1.0);
  copies.set_baseline();
  copies.tick();  // nothing changed: no copy
  const auto wal = test::side(db, "-wal");
  const auto wal_size = fs::file_size(wal);
  const auto wal_time = fs::last_write_time(wal);
  const auto db_size = fs::file_size(db);
  const auto db_time = fs::last_write_time(db);

  exec("PRAGMA wal_checkpoint(PASSIVE)");   // every frame in the main file
  exec("UPDATE t SET payload = 'y' WHERE id = 1");  // the WAL restarts, written over from the start
  fs::last_write_time(wal, wal_time);
  fs::last_write_time(db, db_time);
  REQUIRE(fs::file_size(wal) == wal_size);
  REQUIRE(fs::file_size(db) == db_size);

  copies.tick();
  const auto end = copies.finish();
  const auto record = copies.to_json();
  INFO(record.dump());
  CHECK(record["skipped_unchanged"] == 1);  // the first tick only
  REQUIRE(end.taken.size() == 1);
  CHECK(test::count_rows_where(end.taken[0].file.path, "t", "payload = 'y'") == 1);
  sqlite3_close(writer);
}
