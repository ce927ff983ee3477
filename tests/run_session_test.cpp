// Integration tests of `engine-supervisor run`: the real binary, the real
// demo engine, real signals, real DB files.

#include <signal.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include <map>
#include <thread>

#include "common/backup_store.hpp"
#include "common/integrity_check.hpp"
#include "common/sqlite_db.hpp"
#include "support/run_fixture.hpp"

using namespace es;
using test::RunFixture;
namespace fs = std::filesystem;

namespace {

std::string sessions_ended_at(const fs::path& db) {
  auto conn = SqliteDb::open_read_only(db);
  REQUIRE(conn.has_value());
  auto statement = SqliteStatement::prepare(*conn, "SELECT coalesce(ended_at, '') FROM sessions "
                                                   "ORDER BY id DESC LIMIT 1");
  REQUIRE(statement.has_value());
  REQUIRE(statement->step() == SQLITE_ROW);
  return statement->column_text(0);
}

bool verifies(const fs::path& backup) {
  const auto report = run_integrity_check(backup, CheckMode::kFull);
  return report.ok() && report.page_count > 0;
}

// Starts a run of an engine that runs until stopped, and waits for the engine.
std::unique_ptr<test::ChildProcess> start_long_run(RunFixture& f, std::vector<std::string> args = {},
                                                   int grace = 10) {
  f.configure(args, grace);
  auto child = std::make_unique<test::ChildProcess>(f.run_argv(),
                                                    test::ChildProcess::Options{f.dir.path()});
  REQUIRE(test::wait_until([&] { return fs::exists(f.marker()); }, 20));
  // Let it commit a little, so there is a session to close.
  REQUIRE(test::wait_until([&] { return test::count_rows(f.db(), "orders") > 2; }, 20));
  return child;
}

}  // namespace

TEST_CASE("run: a clean run exits 0 with both backups verified and named in db_health") {
  RunFixture f;
  f.configure({"--seconds", "0.5"});
  const auto result = f.run();
  CHECK(result.exit_code == 0);
  const auto summary = f.latest_summary();
  CHECK(summary["outcome"] == "clean");
  CHECK(summary["halt_reason"] == "engine_exit");
  CHECK(summary["engine"]["exit_code"] == 0);
  CHECK(summary["engine"]["signal"].is_null());
  const auto& health = summary["db_health"];
  CHECK(health["integrity_check"] == "ok");
  CHECK(health["db_path"] == "live.db");
  CHECK(health["post_session_integrity"] == "ok");
  CHECK(health["post_session_integrity_seconds"].get<double>() > 0);
  REQUIRE(f.backups("bak").size() == 1);
  REQUIRE(f.backups("post").size() == 1);
  CHECK(health["pre_session_backup"] == f.backups("bak")[0].filename().string());
  CHECK(health["post_session_backup"] == f.backups("post")[0].filename().string());
  CHECK(verifies(f.backups("bak")[0]));
  CHECK(verifies(f.backups("post")[0]));
  // The post-backup holds the engine's closed session.
  CHECK_FALSE(sessions_ended_at(f.backups("post")[0]).empty());
  // The per-run summary file and the history agree.
  const auto run_id = summary["run_id"].get<std::string>();
  CHECK(fs::exists(f.dir / "logs" / ("session-" + run_id + ".json")));
  auto history = test::run_command(
      {test::supervisor_binary(), "history", "--config", f.config().string(), "--json"});
  const auto runs = nlohmann::json::parse(history.out);
  REQUIRE(runs.size() == 1);
  CHECK(runs[0]["run_id"] == run_id);
  CHECK(runs[0]["outcome"] == "clean");
}

TEST_CASE("run: the engine gets the DB, run id and summary path; the supervisor holds no DB handle "
          "but its lock on the file") {
  RunFixture f;
  auto run = start_long_run(f);
  const auto proc = fs::path("/proc") / std::to_string(run->pid());
  int lock_descriptors = 0;
  for (const auto& fd : fs::directory_iterator(proc / "fd")) {
    std::error_code ec;
    const auto target = fs::read_symlink(fd.path(), ec).string();
    CAPTURE(target);
    CHECK(target != f.db().string() + "-wal");
    CHECK(target != f.db().string() + "-shm");
    if (target != f.db().string()) continue;
    // The one descriptor it keeps on the DB carries its open file
    // description lock at 2^62 (issue 11.1), and is no SQLite connection.
    const auto info = test::read_file(proc / "fdinfo" / fd.path().filename());
    CAPTURE(info);
    CHECK(info.find("OFDLCK") != std::string::npos);
    CHECK(info.find(" 4611686018427387904 ") != std::string::npos);
    ++lock_descriptors;
  }
  CHECK(lock_descriptors == 1);
  const auto engine_env = test::read_file(fs::path("/proc") / std::to_string(f.engine_pid()) / "environ");
  CHECK(engine_env.find("ENGINE_SUPERVISOR_DB=" + f.db().string()) != std::string::npos);
  CHECK(engine_env.find("ENGINE_SUPERVISOR_RUN_ID=") != std::string::npos);
  CHECK(engine_env.find("ENGINE_SUPERVISOR_SUMMARY=" + (f.dir / "logs" / "session-").string()) !=
        std::string::npos);
  run->send(SIGTERM);
  CHECK(run->wait().exit_code == 0);
}

TEST_CASE("run: an engine exit code 3 is unclean, exit_code:3, no post-backup, exit 1") {
  RunFixture f;
  f.configure({"--seconds", "0.3", "--exit-code", "3"});
  CHECK(f.run().exit_code == 1);
  const auto summary = f.latest_summary();
  CHECK(summary["outcome"] == "unclean");
  CHECK(summary["halt_reason"] == "exit_code:3");
  CHECK(summary["engine"]["exit_code"] == 3);
  CHECK(summary["db_health"]["post_session_backup"].is_null());
  CHECK(f.backups("post").empty());
  CHECK(f.backups("bak").size() == 1);
}

TEST_CASE("run: an engine killed with kill -9 is unclean, signal:SIGKILL, and the DB still passes") {
  RunFixture f;
  auto run = start_long_run(f, {"--interval-ms", "5"});
  kill(static_cast<pid_t>(f.engine_pid()), SIGKILL);
  const auto result = run->wait();
  CHECK(result.exit_code == 1);
  const auto summary = f.latest_summary();
  CHECK(summary["outcome"] == "unclean");
  CHECK(summary["halt_reason"] == "signal:SIGKILL");
  CHECK(summary["engine"]["signal"] == "SIGKILL");
  CHECK(summary["engine"]["exit_code"].is_null());
  CHECK(summary["db_health"]["post_session_integrity"] == "ok");
  CHECK(f.backups("post").empty());
  CHECK(run_integrity_check(f.db(), CheckMode::kFull).ok());
}

TEST_CASE("run: SIGTERM or SIGINT to the supervisor stops the engine gracefully: clean, session closed, post-backup") {
  for (int signal : {SIGTERM, SIGINT}) {
    CAPTURE(signal);
    RunFixture f;
    auto run = start_long_run(f);
    run->send(signal);
    const auto result = run->wait();
    CHECK(result.exit_code == 0);
    const auto summary = f.latest_summary();
    CHECK(summary["outcome"] == "clean");
    CHECK(summary["halt_reason"] == "stop_requested");
    CHECK_FALSE(sessions_ended_at(f.db()).empty());
    REQUIRE(f.backups("post").size() == 1);
    CHECK(verifies(f.backups("post")[0]));
    CHECK(result.err.find("sent SIGINT to the engine") != std::string::npos);
  }
}

TEST_CASE("run: SIGHUP (the terminal closed) stops the engine gracefully with halt_reason console_closed") {
  RunFixture f;
  auto run = start_long_run(f);
  run->send(SIGHUP);
  CHECK(run->wait().exit_code == 0);
  const auto summary = f.latest_summary();
  CHECK(summary["outcome"] == "clean");
  CHECK(summary["halt_reason"] == "console_closed");
  CHECK_FALSE(sessions_ended_at(f.db()).empty());
  CHECK(f.backups("post").size() == 1);
}

TEST_CASE("run: an engine that ignores the stop is killed after stop_grace_seconds: stop_timeout_killed") {
  RunFixture f;
  auto run = start_long_run(f, {"--ignore-stop"}, 1);
  const auto sent = std::chrono::steady_clock::now();
  run->send(SIGTERM);
  const auto result = run->wait();
  const auto took = std::chrono::steady_clock::now() - sent;
  CHECK(result.exit_code == 1);
  CHECK(took >= std::chrono::milliseconds(900));
  CHECK(took < std::chrono::seconds(8));
  const auto summary = f.latest_summary();
  CHECK(summary["outcome"] == "unclean");
  CHECK(summary["halt_reason"] == "stop_timeout_killed");
  CHECK(summary["engine"]["signal"] == "SIGKILL");
  CHECK(f.backups("post").empty());
}

TEST_CASE("run: a second Ctrl+C kills the engine at once") {
  RunFixture f;
  auto run = start_long_run(f, {"--ignore-stop"}, 60);
  run->send(SIGINT);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  run->send(SIGINT);
  const auto result = run->wait_for(10);
  REQUIRE(result.has_value());
  CHECK(result->exit_code == 1);
  CHECK(f.latest_summary()["halt_reason"] == "signal:SIGKILL");
}

TEST_CASE("run: kill -9 of the supervisor takes the engine with it, and the next run records the lost run") {
  RunFixture f;
  auto run = start_long_run(f);
  const auto engine = static_cast<int>(f.engine_pid());
  const auto history_now = [&] {
    return nlohmann::json::parse(
        test::run_command({test::supervisor_binary(), "history", "--config",
                           f.config().string(), "--json"})
            .out);
  };
  CHECK(history_now()[0]["outcome"] == "running");  // its supervisor lives
  run->send(SIGKILL);
  run->wait();
  CHECK(test::wait_until([&] { return !test::process_alive(engine); }, 2.0));
  // Not yet recorded, but `history` already tells it from a live run.
  const auto before_next = history_now();
  CHECK(before_next[0]["outcome"] == "lost");
  CHECK(before_next[0]["halt_reason"] == "supervisor_lost");
  CHECK(before_next[0]["ended_at"].is_null());

  fs::remove(f.marker());
  f.configure({"--seconds", "0.3"});
  const auto next = f.run();
  CHECK(next.exit_code == 0);
  CHECK(next.err.find("did not finish: its supervisor was lost") != std::string::npos);
  const auto history = history_now();
  REQUIRE(history.size() == 2);
  CHECK(history[0]["outcome"] == "clean");
  CHECK(history[1]["outcome"] == "unclean");
  CHECK(history[1]["halt_reason"] == "supervisor_lost");
  CHECK(history[1]["ended_at"].is_string());
  CHECK(history[1]["ended_at"].get<std::string>() >= history[1]["started_at"].get<std::string>());
  const auto lost_summary = nlohmann::json::parse(test::read_file(
      f.dir / "logs" / ("session-" + history[1]["run_id"].get<std::string>() + ".json")));
  CHECK(lost_summary["outcome"] == "unclean");
  CHECK(lost_summary["halt_reason"] == "supervisor_lost");
  CHECK(lost_summary["db_health"]["pre_session_backup"].is_string());
  // Issue 11.20: its gate ran, and the summary says how long it took.
  CHECK(lost_summary["db_health"]["integrity_check_seconds"].get<double>() > 0.0);
}

TEST_CASE("run: a second run on the same DB exits 75 naming the holder, and the first is unaffected") {
  RunFixture f;
  auto first = start_long_run(f);
  const auto summaries_before = std::distance(fs::directory_iterator(f.dir / "logs"), {});
  const auto second = f.run();
  CHECK(second.exit_code == 75);
  CHECK(second.err.find("supervisor pid " + std::to_string(first->pid())) != std::string::npos);
  CHECK(second.err.find("started 20") != std::string::npos);
  CHECK(std::distance(fs::directory_iterator(f.dir / "logs"), {}) == summaries_before);
  CHECK(test::process_alive(static_cast<int>(f.engine_pid())));
  first->send(SIGTERM);
  CHECK(first->wait().exit_code == 0);
  CHECK(f.latest_summary()["outcome"] == "clean");
}

TEST_CASE("run: a damaged DB exits 65, the engine never starts, and the summary says aborted") {
  RunFixture f;
  const int page = test::page_size_of(f.db());
  test::overwrite(f.db(), static_cast<std::uintmax_t>(page) * 2, page);
  f.configure({"--seconds", "0.3"});
  const auto result = f.run();
  CHECK(result.exit_code == 65);
  CHECK(result.err.find("DB integrity check failed — session aborted.") != std::string::npos);
  CHECK_FALSE(fs::exists(f.marker()));
  const auto summary = f.latest_summary();
  CHECK(summary["outcome"] == "aborted");
  CHECK(summary["halt_reason"] == "integrity_failed");
  CHECK(summary["db_health"]["integrity_check"] != "ok");
  CHECK(summary["db_health"]["pre_session_backup"].is_null());
  CHECK(f.backups("bak").empty());  // no backup of a damaged DB
}

TEST_CASE("run: a missing engine executable exits 69 naming the path") {
  RunFixture f;
  test::write_file(f.config(), "database:\n  path: live.db\n  backup_dir: backups\nengine:\n"
                               "  command: [./no-such-engine, --x]\nsummary: {dir: logs}\n"
                               "logging: {dir: logs}\n");
  const auto result = f.run();
  CHECK(result.exit_code == 69);
  CHECK(result.err.find((f.dir / "no-such-engine").string()) != std::string::npos);
  CHECK(result.err.find("No such file or directory") != std::string::npos);
  const auto summary = f.latest_summary();
  CHECK(summary["outcome"] == "aborted");
  CHECK(summary["halt_reason"] == "spawn_failed");
}

TEST_CASE("run: 200 MB of engine output with an unread console finishes on time and the log has every line") {
  RunFixture f;
  f.configure({"--flood-bytes", "200000000", "--seconds", "0.1"});
  test::ChildProcess run(f.run_argv(), {f.dir.path(), /*output_to_unread_pipe=*/true});
  const auto result = run.wait_for(120);
  REQUIRE(result.has_value());
  CHECK(result->exit_code == 0);
  const auto summary = f.latest_summary();
  CHECK(summary["outcome"] == "clean");
  const auto log = test::read_file(summary["supervisor"]["log_file"].get<std::string>());
  std::size_t flood_lines = 0;
  for (std::size_t at = log.find("] flood "); at != std::string::npos;
       at = log.find("] flood ", at + 1)) {
    ++flood_lines;
  }
  CHECK(flood_lines == 2000000);
  CHECK(log.find("flood-done 2000000") != std::string::npos);
  // Counted in lines, though the console drops whole reads of them: an unread
  // pipe takes 64 KiB, so nearly all of the two million never reach it.
  const auto warning = log.find(" lines skipped on the console");
  REQUIRE(warning != std::string::npos);
  const auto count_start = log.rfind(' ', warning - 1) + 1;
  CHECK(std::stoull(log.substr(count_start, warning - count_start)) > 1000000);
  // In order, and the engine's lines stay out of the rotating log, which
  // they would otherwise rotate the supervisor's own messages out of.
  CHECK(log.find("] flood 1 ") < log.find("] flood 2000000 "));
  const fs::path session_log = summary["supervisor"]["log_file"].get<std::string>();
  const auto main_log = test::read_file(session_log.parent_path() / "engine-supervisor.log");
  CHECK(main_log.find("engine started") != std::string::npos);
  CHECK(main_log.find("] flood ") == std::string::npos);
}

TEST_CASE("run: a failed pre-backup (the backup folder is a file) warns, records the error, and the session runs") {
  RunFixture f;
  fs::remove(f.dir / "backups");
  test::write_file(f.dir / "backups", "not a folder");
  f.configure({"--seconds", "0.3"});
  const auto result = f.run();
  CHECK(result.exit_code == 0);
  CHECK(result.err.find("pre-session backup failed") != std::string::npos);
  CHECK(fs::exists(f.marker()));
  const auto summary = f.latest_summary();
  CHECK(summary["outcome"] == "clean");
  CHECK(summary["db_health"]["pre_session_backup"].is_null());
  CHECK(summary["db_health"]["pre_session_backup_error"].get<std::string>().find("is not a folder") !=
        std::string::npos);
  CHECK(test::read_file(f.dir / "backups") == "not a folder");
}

TEST_CASE("run: every backup retention deletes is in the session log and in db_health.backups_deleted, and a 2030 stamp is kept and warned about once") {
  RunFixture f;
  f.configure({"--seconds", "0.3"});
  // One old backup of each kind and retention that keeps only the newest:
  // the run's own two backups make retention delete them.
  auto config = test::read_file(f.config());
  const std::string count = "backup_retention_count: 5\n";
  config.replace(config.find(count), count.size(),
                 "backup_retention_count: 1\n  backup_keep_daily: 0\n  backup_keep_weekly: 0\n");
  test::write_file(f.config(), config);
  const BackupStore store(f.db(), f.dir / "backups");
  std::map<std::string, std::pair<std::string, Clock::time_point>> seeded;  // file: kind, stamp
  for (const auto& [kind, stamp] : {std::pair{BackupKind::kPreSession, "20250101T080000Z"},
                                    std::pair{BackupKind::kPreSession, "20250102T080000Z"},
                                    std::pair{BackupKind::kPostSession, "20250102T090000Z"}}) {
    const auto when = *parse_compact_stamp(stamp);
    auto taken = store.take(kind, {1000, 0, 0}, when);
    REQUIRE(taken.has_value());
    seeded[taken->file.path.filename().string()] = {std::string(to_string(kind)), when};
  }
  // Named by a clock that was ahead, and written by it: kept, warned about.
  auto ahead = store.take(BackupKind::kPreSession, {1000, 0, 0},
                          *parse_compact_stamp("20300101T000000Z"));
  REQUIRE(ahead.has_value());
  fs::last_write_time(ahead->file.path,
                      std::chrono::time_point_cast<fs::file_time_type::duration>(
                          std::chrono::file_clock::from_sys(*parse_compact_stamp("20300101T000001Z"))));

  const auto result = f.run();
  REQUIRE(result.exit_code == 0);
  const auto summary = f.latest_summary();
  const auto& health = summary["db_health"];
  const auto started = *parse_iso8601_utc(summary["started_at"].get<std::string>());
  const auto ended = *parse_iso8601_utc(summary["ended_at"].get<std::string>());
  const auto log = test::read_file(summary["supervisor"]["log_file"].get<std::string>());
  REQUIRE(health["backups_deleted"].size() == seeded.size());
  for (const auto& deleted : health["backups_deleted"]) {
    const auto file = deleted["file"].get<std::string>();
    CAPTURE(file);
    REQUIRE(seeded.count(file));
    const auto& [kind, stamp] = seeded[file];
    CHECK(deleted["kind"] == kind);
    CHECK(deleted["taken_at"] == iso8601_utc(stamp));
    const auto age = deleted["age_seconds"].get<long long>();
    CHECK(age >= std::chrono::floor<std::chrono::seconds>(started - stamp).count());
    CHECK(age <= std::chrono::floor<std::chrono::seconds>(ended - stamp).count() + 1);
    CHECK_FALSE(fs::exists(f.dir / "backups" / file));
    CHECK(log.find("retention deleted backup " + (f.dir / "backups" / file).string() +
                   " (kind " + kind + ", taken " + iso8601_utc(stamp)) != std::string::npos);
    CHECK(result.err.find("retention deleted backup " + (f.dir / "backups" / file).string()) !=
          std::string::npos);
  }
  CHECK(fs::exists(ahead->file.path));
  int warned = 0;
  for (const auto& warning : health["warnings"]) {
    if (warning.get<std::string>().find(ahead->file.path.string() + " is stamped 2030") !=
        std::string::npos) {
      ++warned;
    }
  }
  CHECK(warned == 1);  // the pre- and the post-session retention both see it
}

TEST_CASE("run: a corrupt history file never stops a session") {
  RunFixture f;
  const auto history = fs::path(f.db().string() + ".supervisor-history.jsonl");
  test::write_file(history, "{\"event\":\"run_started\",\"run_id\":\"x\"\n\xff\xfe garbage\n{");
  f.configure({"--seconds", "0.2"});
  const auto result = f.run();
  CHECK(result.exit_code == 0);
  CHECK(result.err.find("unreadable and was skipped") != std::string::npos);
  CHECK(f.latest_summary()["outcome"] == "clean");
  // What was there is kept: the history is appended to, never rewritten.
  CHECK(test::read_file(history).rfind("{\"event\":\"run_started\",\"run_id\":\"x\"\n", 0) == 0);
}

TEST_CASE("run: a stop signal during the gate cuts it short, keeps no backup and never starts the engine") {
  RunFixture f;
  test::make_db(f.db(), 120000, 300);  // a check that takes a moment
  f.configure({"--seconds", "5"});
  test::ChildProcess run(f.run_argv(), {f.dir.path()});
  REQUIRE(test::wait_until(
      [&] { return run.err_so_far().find("checking ") != std::string::npos; }, 20));
  run.send(SIGTERM);
  const auto result = run.wait();
  CHECK(result.exit_code == 1);
  CHECK_FALSE(fs::exists(f.marker()));
  const auto summary = f.latest_summary();
  CHECK(summary["outcome"] == "aborted");
  CHECK(summary["halt_reason"] == "stop_requested");
  // Interrupted, not waited for: on a big DB the check takes minutes.
  CHECK(summary["db_health"]["integrity_check"] == "not finished: stop requested");
  CHECK(summary["db_health"]["pre_session_backup"].is_null());
  CHECK(result.err.find("no backup was kept") != std::string::npos);
  CHECK(fs::is_empty(f.dir / "backups"));  // not even a temporary
}

TEST_CASE("run: a missing DB is refused when backups of it exist, even with allow_missing or the check off") {
  for (const char* extra : {"  allow_missing: true\n", ""}) {
    CAPTURE(extra);
    RunFixture f;
    f.configure({"--seconds", "0.2"});
    REQUIRE(f.run().exit_code == 0);  // leaves backups behind
    fs::remove(f.db());
    fs::remove(f.marker());
    const std::string check_off = *extra ? "" : "  integrity_check_on_startup: false\n";
    f.configure({"--seconds", "0.2"}, 10, extra);
    if (!check_off.empty()) {
      auto text = test::read_file(f.config());
      text.replace(text.find("db_safeguards:\n") + 15, 0, check_off);
      test::write_file(f.config(), text);
    }
    const auto result = f.run();
    CHECK(result.exit_code == 66);
    CHECK_FALSE(fs::exists(f.marker()));
    CHECK_FALSE(fs::exists(f.db()));
  }
}

TEST_CASE("run: usage and location mistakes get their own exit codes") {
  RunFixture f;
  const auto with_db = test::run_command({test::supervisor_binary(), "run", "--db", f.db().string()});
  CHECK(with_db.exit_code == 64);
  CHECK(with_db.err.find("--config FILE") != std::string::npos);
  // Issue 11.20: `run --help` does not offer what `run` refuses.
  const auto help = test::run_command({test::supervisor_binary(), "run", "--help"});
  CHECK(help.exit_code == 0);
  CHECK(help.out.find("--config") != std::string::npos);
  CHECK(help.out.find("--db") == std::string::npos);
  test::write_file(f.config(), "database:\n  path: no-such-folder/live.db\nengine:\n  command: [x]\n");
  const auto missing_folder = f.run();
  CHECK(missing_folder.exit_code == 66);
  CHECK(missing_folder.err.find("does not exist") != std::string::npos);
}

TEST_CASE("run: a lock file another account made is refused naming that account and the way out") {
  if (getuid() != 0) {
    MESSAGE("SKIPPED: needs root to act as two accounts");
    return;
  }
  RunFixture f;
  f.configure({"--seconds", "0.2"});
  REQUIRE(f.run().exit_code == 0);  // root's run leaves its 0600 lock file
  fs::remove(f.marker());
  const auto lock = f.dir / "live.db.supervisor.lock";
  const auto owner_only = fs::perms::owner_read | fs::perms::owner_write;
  REQUIRE((fs::status(lock).permissions() & fs::perms::all) == owner_only);
  // An unprivileged account, as a desktop launcher after a root systemd unit.
  const auto result = test::run_command_unprivileged(f.run_argv(), f.dir.path());
  CHECK(result.exit_code == 74);
  CHECK(result.err.find(lock.string() + " failed: Permission denied") != std::string::npos);
  CHECK(result.err.find("It belongs to root") != std::string::npos);
  CHECK(result.err.find("chown") != std::string::npos);
  CHECK_FALSE(fs::exists(f.marker()));
}

TEST_CASE("run: a stop after the engine exited cuts the post-session steps short, and the run stays clean") {
  RunFixture f;
  test::make_db(f.db(), 120000, 300);  // a post-session check and backup that take a moment
  f.configure({"--seconds", "0.2"});
  test::ChildProcess run(f.run_argv(), {f.dir.path()});
  REQUIRE(test::wait_until(
      [&] { return run.err_so_far().find("session clean") != std::string::npos; }, 60));
  run.send(SIGINT);  // as a second Ctrl+C while a big DB copies
  const auto result = run.wait();
  CHECK(result.exit_code == 0);
  const auto summary = f.latest_summary();
  CHECK(summary["outcome"] == "clean");
  const auto& health = summary["db_health"];
  CHECK(health["post_session_backup"].is_null());
  // Cut in the quick_check, or in the backup after it.
  const bool check_cut = health["post_session_integrity"] == "not finished: stop requested";
  const bool backup_cut =
      health["post_session_backup_error"].is_string() &&
      health["post_session_backup_error"].get<std::string>().find(
          "abandoned: a stop was requested") != std::string::npos;
  CAPTURE(health.dump());
  CHECK((check_cut || backup_cut));
  CHECK(f.backups("post").empty());
  for (const auto& entry : fs::directory_iterator(f.dir / "backups")) {
    CAPTURE(entry.path());
    CHECK(entry.path().extension() != ".tmp");
  }
  CHECK(result.err.find("after the engine exited") != std::string::npos);
}

TEST_CASE("run: a history line with a wrongly typed field is skipped with its number, not an abort") {
  RunFixture f;
  f.configure({"--interval-ms", "20", "--seconds", "0.2"});
  test::make_db(f.db());
  // A lost run whose record says "log_file": null: lost-run recovery used to
  // abort on it (134) at every later start.
  test::write_file(f.dir / "live.db.supervisor-history.jsonl",
                   "{\"event\":\"run_started\",\"run_id\":\"r1\",\"started_at\":\"2026-01-01T00:00:00Z\","
                   "\"log_file\":null}\n");
  const auto result = f.run();
  CHECK(result.exit_code == 0);
  CHECK(result.err.find("line 1") != std::string::npos);
}
