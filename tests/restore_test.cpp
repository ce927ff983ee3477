#include "common/restore.hpp"

#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <sys/stat.h>

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <fstream>
#include <random>
#include <set>
#include <thread>

#include "common/backup_store.hpp"
#include "common/integrity_check.hpp"
#include "common/session_lock.hpp"
#include "common/shell_command.hpp"
#include "common/utf8_path.hpp"
#include "support/run_fixture.hpp"
#include "support/temp_dir.hpp"
#include "support/test_db.hpp"

using namespace es;
namespace fs = std::filesystem;

namespace {

// A live DB with a -wal and -shm beside it, and a good backup of it.
struct RestoreFixture {
  test::TempDir dir;
  fs::path db = dir / "live.db";
  fs::path backup;
  std::string old_bytes;

  explicit RestoreFixture(int rows = 300) {
    test::make_db(db, rows);
    auto taken = BackupStore(db, dir.path()).take(BackupKind::kManual, {10});
    REQUIRE(taken.has_value());
    backup = taken->file.path;
    test::make_db(db, 50);  // the live DB moves on after the backup
    test::write_file(fs::path(db.string() + "-wal"), "wal bytes");
    test::write_file(fs::path(db.string() + "-shm"), "shm bytes");
    old_bytes = test::read_file(db);
  }

  std::vector<std::string> argv(std::vector<std::string> extra) const {
    std::vector<std::string> args{test::supervisor_binary(), "restore"};
    args.insert(args.end(), extra.begin(), extra.end());
    args.insert(args.end(), {"--db", db.string()});
    return args;
  }

  std::vector<fs::path> replaced(const std::string& suffix = "") const {
    std::vector<fs::path> found;
    for (const auto& entry : fs::directory_iterator(dir.path())) {
      const auto name = entry.path().filename().string();
      if (name.rfind("live.db.replaced.", 0) == 0 &&
          (suffix.empty() ? name.find('-') == std::string::npos
                          : name.size() > suffix.size() &&
                                name.substr(name.size() - suffix.size()) == suffix)) {
        found.push_back(entry.path());
      }
    }
    return found;
  }

  // The invariant of an interrupted restore: the old DB is in place or in its
  // .replaced. file, and the live name holds nothing, the old DB, or the
  // complete restored copy.
  void check_nothing_lost() const {
    const bool in_place = fs::exists(db) && test::read_file(db) == old_bytes;
    const auto aside = replaced();
    const bool moved = aside.size() == 1 && test::read_file(aside[0]) == old_bytes;
    CHECK((in_place || moved));
    if (fs::exists(db) && !in_place) {
      // The complete restored copy, with no stale -wal beside it (an empty
      // one is what any read of a WAL DB leaves), holding the backup's rows.
      const fs::path wal = db.string() + "-wal";
      CHECK((!fs::exists(wal) || fs::file_size(wal) == 0));
      CHECK(run_integrity_check(db, CheckMode::kFull).ok());
      CHECK(test::count_rows(db) == 300);
    }
    CHECK(fs::exists(backup));
  }
};

}  // namespace

TEST_CASE("restore: moves the DB, -wal and -shm aside, puts the backup in place, and records it") {
  RestoreFixture f;
  const auto result = test::run_command(f.argv({f.backup.string(), "--yes"}));
  REQUIRE(result.exit_code == 0);
  CHECK(test::count_rows(f.db) == 300);
  CHECK(run_integrity_check(f.db, CheckMode::kFull).ok());
  const auto header = test::read_file(f.db).substr(18, 2);
  CHECK(header == std::string("\x02\x02"));  // back in WAL mode, as the DB it replaced
  REQUIRE(f.replaced().size() == 1);
  CHECK(test::read_file(f.replaced()[0]) == f.old_bytes);
  REQUIRE(f.replaced("-wal").size() == 1);
  CHECK(test::read_file(f.replaced("-wal")[0]) == "wal bytes");
  REQUIRE(f.replaced("-shm").size() == 1);
  CHECK(test::read_file(f.replaced("-shm")[0]) == "shm bytes");
  CHECK(result.err.find("moved " + f.db.string() + " to " + f.replaced()[0].string()) !=
        std::string::npos);
  const auto history = test::read_file(f.db.string() + ".supervisor-history.jsonl");
  CHECK(history.find("\"event\":\"restore\"") != std::string::npos);
  CHECK(history.find(f.backup.string()) != std::string::npos);
}

TEST_CASE("restore: refuses with 75 while a supervisor holds the DB's lock") {
  RestoreFixture f;
  auto lock = SessionLock::acquire(f.db);
  REQUIRE(lock.has_value());
  const auto result = test::run_command(f.argv({"--latest", "--yes"}));
  CHECK(result.exit_code == 75);
  CHECK(test::read_file(f.db) == f.old_bytes);
  CHECK(f.replaced().empty());
}

TEST_CASE("restore: refuses with 75 while another process has the DB open, naming it, with restore's own way out (issue 11 small)") {
  RestoreFixture f;
  fs::remove(f.db.string() + "-wal");
  fs::remove(f.db.string() + "-shm");
  test::ChildProcess engine({test::demo_engine_binary(), "--db", f.db.string(), "--interval-ms", "50"});
  REQUIRE(test::wait_until([&] { return test::count_rows(f.db, "sessions") > 0; }, 10));
  const auto result = test::run_command(f.argv({"--latest", "--yes"}));
  CHECK(result.exit_code == 75);
  CHECK(result.err.find("pid " + std::to_string(engine.pid())) != std::string::npos);
  // Restore ignores refuse_if_open_elsewhere: its message must not offer it (issue 11, small).
  CHECK(result.err.find("refuse_if_open_elsewhere: false") == std::string::npos);
  CHECK(result.err.find("then restore again") != std::string::npos);
  CHECK(f.replaced().empty());
  engine.send(SIGTERM);
  engine.wait();
}

TEST_CASE("restore: a backup that does not verify is refused with 65, naming the newest good one") {
  RestoreFixture f;
  const fs::path broken = f.dir / "live.db.bak.20991231T000000Z";
  fs::copy_file(f.backup, broken);
  test::overwrite(broken, 0, 16, 'Z');
  const auto result = test::run_command(f.argv({broken.string(), "--yes"}));
  CHECK(result.exit_code == 65);
  CHECK(result.err.find("The newest backup that is ok: " + f.backup.string()) != std::string::npos);
  CHECK(test::read_file(f.db) == f.old_bytes);
  CHECK(f.replaced().empty());

  SUBCASE("--latest skips it and takes the newest that verifies") {
    const auto latest = test::run_command(f.argv({"--latest", "--yes"}));
    CHECK(latest.exit_code == 0);
    CHECK(test::count_rows(f.db) == 300);
  }
}

TEST_CASE("restore: --latest takes the really newest backup over one stamped 2030, and warns about that one") {
  RestoreFixture f;  // a backup with 300 rows, taken now
  // The oldest data, under a name from a clock that was ahead: 40 rows.
  test::TempDir old_dir;
  test::make_db(old_dir / "live.db", 40);
  auto old = BackupStore(old_dir / "live.db", old_dir.path())
                 .take(BackupKind::kPreSession, {10}, *parse_compact_stamp("20300101T000000Z"));
  REQUIRE(old.has_value());
  const fs::path ahead = f.dir / old->file.path.filename();
  fs::copy_file(old->file.path, ahead);

  const auto dry = test::run_command(f.argv({"--latest", "--dry-run"}));
  CHECK(dry.exit_code == 0);
  CHECK(dry.err.find("copy " + f.backup.string() + " beside the DB") != std::string::npos);
  CHECK(dry.err.find(ahead.string() + " is stamped 2030-01-01T00:00:00Z") != std::string::npos);

  const auto restored = test::run_command(f.argv({"--latest", "--yes"}));
  CHECK(restored.exit_code == 0);
  CHECK(test::count_rows(f.db) == 300);
  CHECK(test::count_rows(ahead) == 40);  // left as it was
}

TEST_CASE("restore: --dry-run and a missing --yes off a terminal change nothing") {
  RestoreFixture f;
  const auto dry = test::run_command(f.argv({"--latest", "--dry-run"}));
  CHECK(dry.exit_code == 0);
  CHECK(dry.err.find("restore plan:") != std::string::npos);
  const auto unconfirmed = test::run_command(f.argv({"--latest"}));
  CHECK(unconfirmed.exit_code == 64);
  CHECK(unconfirmed.err.find("--yes") != std::string::npos);
  CHECK(test::read_file(f.db) == f.old_bytes);
  CHECK(f.replaced().empty());
}

TEST_CASE("restore: interrupted after any step, no file is lost") {
  for (int stop_after = 0; stop_after < 6; ++stop_after) {
    CAPTURE(stop_after);
    RestoreFixture f;
    int steps = 0;
    const auto plan = plan_restore(f.db, f.backup);
    (void)execute_restore(plan, [&](const std::string&) { return ++steps <= stop_after; });
    f.check_nothing_lost();
  }
}

TEST_CASE("restore: killed with SIGKILL at random moments, no file is lost") {
  std::mt19937 random(12345);
  for (int iteration = 0; iteration < 8; ++iteration) {
    CAPTURE(iteration);
    RestoreFixture f(20000);
    test::ChildProcess restore(f.argv({f.backup.string(), "--yes"}));
    std::this_thread::sleep_for(std::chrono::microseconds(random() % 40000));
    restore.send(SIGKILL);
    restore.wait();
    f.check_nothing_lost();
  }
}

namespace {

// `/bin/sh -c command` in a terminal of its own, from `/` and with a PATH of
// system folders only, as an operator's fresh shell would run a pasted line.
// Answers `answer` when asked to proceed; returns the exit code and the screen.
std::pair<int, std::string> run_in_terminal(const std::string& command, const std::string& answer) {
  int terminal = -1;
  const pid_t pid = forkpty(&terminal, nullptr, nullptr, nullptr);
  if (pid == 0) {
    if (chdir("/") != 0) _exit(126);
    setenv("PATH", "/usr/bin:/bin", 1);
    execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  REQUIRE(pid > 0);
  std::string screen;
  bool answered = false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    if (!answered && screen.find("[y/N]") != std::string::npos) {
      REQUIRE(write(terminal, answer.data(), answer.size()) == static_cast<ssize_t>(answer.size()));
      answered = true;
    }
    pollfd ready{terminal, POLLIN, 0};
    if (poll(&ready, 1, 100) <= 0) continue;
    char buffer[4096];
    const auto got = read(terminal, buffer, sizeof buffer);
    if (got <= 0) break;  // the shell and all it ran have closed the terminal
    screen.append(buffer, static_cast<std::size_t>(got));
  }
  int status = 0;
  waitpid(pid, &status, 0);
  close(terminal);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, screen};
}

}  // namespace

TEST_CASE("restore: the command the failed gate prints works pasted as it is into sh, with the binary off PATH") {
  RestoreFixture f;
  fs::remove(f.db.string() + "-wal");
  fs::remove(f.db.string() + "-shm");
  test::overwrite(f.db, 0, 16, 'Z');
  // A copy of the binary in a folder no PATH holds, whose name needs quoting,
  // run by a relative argv[0] from that folder.
  const auto tools = f.dir / "tools of O'Brien $HOME";
  fs::create_directory(tools);
  fs::copy_file(test::supervisor_binary(), tools / "engine-supervisor");
  fs::permissions(tools / "engine-supervisor", fs::perms::owner_all, fs::perm_options::add);
  const auto gate = test::run_command({"./engine-supervisor", "check", "--db", f.db.string()}, tools);
  REQUIRE(gate.exit_code == 65);
  const std::string label = "to restore it: ";
  const auto at = gate.err.find(label);
  REQUIRE(at != std::string::npos);
  const auto command = gate.err.substr(at + label.size(), gate.err.find('\n', at) - at - label.size());
  CHECK(command.rfind(quote_argument((tools / "engine-supervisor").string(), ShellStyle::kPosix) +
                          " restore ",
                      0) == 0);

  const auto [exit_code, screen] = run_in_terminal(command, "y\n");
  CAPTURE(command);
  CAPTURE(screen);
  CHECK(exit_code == 0);
  CHECK(screen.find("integrity_check ok") != std::string::npos);
  CHECK(run_integrity_check(f.db, CheckMode::kFull).ok());
  CHECK(test::count_rows(f.db) == 300);
}

TEST_CASE("restore: the plan names the runs since the backup, with their outcomes, from the real history") {
  test::RunFixture f;
  const auto restore_plan = [&](const fs::path& backup) {
    const auto dry = test::run_command({test::supervisor_binary(), "restore", backup.string(),
                                        "--dry-run", "--config", f.config().string()},
                                       f.dir.path());
    CHECK(dry.exit_code == 0);
    return dry.err;
  };
  f.configure({"--seconds", "0.2"});
  REQUIRE(test::run_command({test::supervisor_binary(), "backup", "--config", f.config().string()},
                            f.dir.path())
              .exit_code == 0);
  const auto manual = f.backups("manual");
  REQUIRE(manual.size() == 1);
  // Stamps have one-second resolution: the runs start in a later second.
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  REQUIRE(f.run().exit_code == 0);
  const auto r1 = f.latest_summary()["run_id"].get<std::string>();
  f.configure({"--crash-after-ms", "200"});
  REQUIRE(f.run().exit_code == 1);
  const auto r2 = f.latest_summary()["run_id"].get<std::string>();
  const auto post = f.backups("post");
  REQUIRE(post.size() == 1);

  const auto before_both = restore_plan(manual[0]);
  const auto taken = parse_backup_name(manual[0].filename().string(), "live.db")->stamp;
  CHECK(before_both.find("what the backup lacks: taken " + iso8601_utc(taken) + ", ") !=
        std::string::npos);
  CHECK(before_both.find(" before the DB was last written (") != std::string::npos);
  CHECK(before_both.find("; runs since then: " + r1 + " clean, " + r2 +
                         " unclean; their writes are not in it.\n") != std::string::npos);
  // R1's post-session backup holds all R1 wrote, and lacks R2's writes.
  const auto after_r1 = restore_plan(post[0]);
  CHECK(after_r1.find("; runs since then: " + r2 + " unclean; its writes are not in it.\n") !=
        std::string::npos);
  CHECK(after_r1.find(r1) == std::string::npos);
  // Each run's pre-session backup lacks that run.
  for (const auto& pre : f.backups("bak")) {
    CAPTURE(pre);
    const auto plan = restore_plan(pre);
    CHECK(plan.find("runs since then: ") != std::string::npos);
    CHECK(plan.find(r2 + " unclean") != std::string::npos);
  }
}

TEST_CASE("snapshot: a consistent read-only copy while the engine writes") {
  test::TempDir dir;
  const auto db = dir / "live.db";
  test::ChildProcess engine({test::demo_engine_binary(), "--db", db.string(), "--interval-ms", "2"});
  REQUIRE(test::wait_until([&] { return fs::exists(db) && test::count_rows(db, "orders") > 50; }, 20));
  const auto dest = dir / "for-analysis.db";
  const auto result = test::run_command(
      {test::supervisor_binary(), "snapshot", dest.string(), "--db", db.string()});
  REQUIRE(result.exit_code == 0);
  CHECK(result.out == dest.string() + "\n");
  CHECK(run_integrity_check(dest, CheckMode::kFull).ok());
  CHECK(test::count_rows(dest, "orders") > 50);
  struct stat info {};
  REQUIRE(::stat(dest.c_str(), &info) == 0);
  CHECK((info.st_mode & 0222) == 0);
  engine.send(SIGTERM);
  engine.wait();
}

TEST_CASE("snapshot: refuses the live files, backup names and an existing file") {
  test::TempDir dir;
  const auto db = dir / "live.db";
  test::make_db(db);
  test::write_file(dir / "taken.db", "someone else's file");
  for (const auto& dest : {db.string(), db.string() + "-wal", db.string() + "-shm",
                           (dir / "live.db.bak.20260101T000000Z").string(),
                           (dir / "taken.db").string()}) {
    CAPTURE(dest);
    const auto result =
        test::run_command({test::supervisor_binary(), "snapshot", dest, "--db", db.string()});
    CHECK(result.exit_code != 0);
  }
  CHECK(test::read_file(dir / "taken.db") == "someone else's file");
  CHECK_FALSE(fs::exists(dir / "live.db.bak.20260101T000000Z"));
}

TEST_CASE("snapshot: refuses the live files however they are spelled, the journal's name too") {
  // A copy written as the DB's -journal would be taken by SQLite for a hot
  // journal and deleted at the engine's next open.
  test::TempDir dir;
  const auto db = dir / "live.db";
  test::make_db(db);
  fs::create_directory(dir / "sub");
  fs::create_directory_symlink(dir.path(), dir / "link");
  for (const auto& dest : {dir / "sub" / ".." / "live.db-journal", dir / "link" / "live.db-wal",
                           dir / "link" / "live.db-journal", dir / "sub" / ".." / "live.db-shm"}) {
    CAPTURE(dest);
    const bool existed = fs::exists(dest);
    const auto result = test::run_command(
        {test::supervisor_binary(), "snapshot", dest.string(), "--db", db.string()});
    CHECK(result.exit_code == 64);
    CHECK(result.err.find("is the live DB's own file") != std::string::npos);
    CHECK(fs::exists(dest) == existed);
  }
  CHECK_FALSE(fs::exists(dir / "live.db-journal"));
}

TEST_CASE("issue 11.13: two restores in one second: the second set goes to .replaced.<stamp>-2, also when the name is taken after its plan") {
  RestoreFixture f;
  const auto now = Clock::now();
  REQUIRE(execute_restore(plan_restore(f.db, f.backup, now)).has_value());
  const auto stem = f.db.string() + ".replaced." + compact_stamp(now);
  // The second restore in the same second plans around the first set.
  test::write_file(fs::path(f.db.string() + "-wal"), "second wal");
  const auto second = plan_restore(f.db, f.backup, now);
  REQUIRE(second.set_aside.size() == 2);
  CHECK(second.set_aside[0].to == fs::path(stem + "-2"));
  // Someone takes -2 between the plan and the move: the move claims -3.
  test::write_file(fs::path(stem + "-2"), "someone else's");
  std::vector<RestoreMove> moved;
  auto done = execute_restore(second, {}, &moved);
  INFO((done ? std::string() : done.error().message));
  REQUIRE(done.has_value());
  REQUIRE(moved.size() == 2);
  CHECK(moved[0].to == fs::path(stem + "-3"));
  CHECK(moved[1].to == fs::path(stem + "-3-wal"));
  CHECK(test::read_file(stem + "-2") == "someone else's");
  CHECK(test::read_file(stem) == f.old_bytes);  // the first set is untouched
  CHECK(test::read_file(stem + "-wal") == "wal bytes");
  CHECK(test::read_file(stem + "-3-wal") == "second wal");
  CHECK(test::count_rows(fs::path(stem + "-3")) == 300);  // the first restore's result, set aside
  CHECK(test::count_rows(f.db) == 300);
}

TEST_CASE("issue 11.2: restore moves a leftover -journal aside with the DB, and the history says what really happened") {
  RestoreFixture f;
  test::write_file(fs::path(f.db.string() + "-journal"), "journal bytes");
  const auto result = test::run_command(f.argv({f.backup.string(), "--yes"}));
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  CHECK_FALSE(fs::exists(f.db.string() + "-journal"));
  REQUIRE(f.replaced("-journal").size() == 1);
  CHECK(test::read_file(f.replaced("-journal")[0]) == "journal bytes");
  CHECK(test::count_rows(f.db) == 300);
  CHECK(run_integrity_check(f.db, CheckMode::kFull).ok());
  std::ifstream lines(f.db.string() + ".supervisor-history.jsonl");
  nlohmann::json restore_event;
  for (std::string line; std::getline(lines, line);) {
    auto event = nlohmann::json::parse(line);
    if (event["event"] == "restore") restore_event = event;
  }
  REQUIRE(restore_event.is_object());
  CHECK(restore_event["completed"] == true);
  CHECK(restore_event["installed"] == true);
  std::set<std::string> moved_from;
  for (const auto& move : restore_event["moved_aside"]) moved_from.insert(move["from"].get<std::string>());
  CHECK(moved_from.count(f.db.string() + "-journal") == 1);
  CHECK(moved_from.count(f.db.string()) == 1);
}

TEST_CASE("issue 11.13: a DB whose own name holds .replaced. still gets its set moved to the next free name") {
  test::TempDir dir;
  const auto db = dir / "old.replaced.db";
  test::make_db(db, 40);
  auto taken = BackupStore(db, dir.path()).take(BackupKind::kManual, {10});
  REQUIRE(taken.has_value());
  const auto now = Clock::now();
  const auto plan = plan_restore(db, taken->file.path, now);
  const auto stem = db.string() + ".replaced." + compact_stamp(now);
  REQUIRE(plan.set_aside.size() == 1);
  CHECK(plan.set_aside[0].to == fs::path(stem));
  test::write_file(fs::path(stem), "taken after the plan");
  std::vector<RestoreMove> moved;
  REQUIRE(execute_restore(plan, {}, &moved).has_value());
  REQUIRE(moved.size() == 1);
  CHECK(moved[0].to == fs::path(stem + "-2"));
  CHECK(test::read_file(stem) == "taken after the plan");
  CHECK(test::count_rows(db) == 40);
}

TEST_CASE("issue 11.3: restoring a WAL-mode .replaced. set restores the rows in its -wal, and leaves the set's bytes as they were") {
  RestoreFixture f;
  const fs::path source = f.dir / "live.db.replaced.20261201T000000Z";
  test::make_db(source, 1);
  test::commit_in_wal_only(source, 20);
  REQUIRE(test::count_rows(source) == 21);
  const auto before = test::folder_contents(f.dir.path());
  const auto result = test::run_command(f.argv({source.string(), "--yes"}));
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  CHECK(test::count_rows(f.db) == 21);
  CHECK(run_integrity_check(f.db, CheckMode::kFull).ok());
  // What was verified is what was restored, and the set itself is evidence:
  // its main file, -wal and -shm keep their bytes.
  for (const char* suffix : {"", "-wal", "-shm"}) {
    const auto name = source.filename().string() + suffix;
    REQUIRE(before.count(name) == 1);
    CHECK(test::read_file(f.dir / name) == before.at(name));
  }
}

namespace {

// After a restore was cut off and the next command finished it: the backup's
// rows in place, the old DB in exactly one .replaced. file, and nothing of
// the restore's own left (its record, its staged copy).
void check_finished(const RestoreFixture& f) {
  CHECK(test::count_rows(f.db) == 300);
  CHECK(run_integrity_check(f.db, CheckMode::kFull).ok());
  int old_copies = 0;
  for (const auto& entry : fs::directory_iterator(f.dir.path())) {
    const auto name = entry.path().filename().string();
    CHECK(name.find(".tmp") == std::string::npos);
    if (name.find(".replaced.") != std::string::npos && test::read_file(entry.path()) == f.old_bytes) {
      ++old_copies;
    }
  }
  CHECK(old_copies == 1);
  CHECK_FALSE(fs::exists(restore_record_path(f.db)));
}

}  // namespace

TEST_CASE("issue 11.6: a restore cut off after any step is finished by the next restore, each file moved once") {
  for (int stop_after = 0; stop_after < 4; ++stop_after) {
    CAPTURE(stop_after);
    RestoreFixture f;
    int steps = 0;
    const auto plan = plan_restore(f.db, f.backup);
    REQUIRE_FALSE(execute_restore(plan, [&](const std::string&) { return ++steps <= stop_after; }));
    REQUIRE(fs::exists(restore_record_path(f.db)));
    const auto again = test::run_command(f.argv({f.backup.string(), "--yes"}));
    INFO(again.err);
    CHECK(again.exit_code == 0);
    CHECK(again.err.find("was cut off; it was finished now") != std::string::npos);
    CHECK(again.err.find("nothing else was done") != std::string::npos);
    check_finished(f);
    const auto history = test::read_file(f.db.string() + ".supervisor-history.jsonl");
    CHECK(history.find("\"completed\":true") != std::string::npos);
  }
}

TEST_CASE("issue 11.6: a restore cut off between the link and the unlink of a move drops only the live name") {
  RestoreFixture f;
  int steps = 0;
  const auto plan = plan_restore(f.db, f.backup);
  REQUIRE_FALSE(execute_restore(plan, [&](const std::string&) { return ++steps <= 1; }));
  // The state rename_if_free leaves when killed between its two calls.
  const auto stem = plan.set_aside[1].to;  // the -wal's aside name
  REQUIRE(fs::exists(plan.set_aside[1].from));
  fs::create_hard_link(plan.set_aside[1].from, stem);
  auto resumed = resume_restore(f.db);
  REQUIRE(resumed.has_value());
  REQUIRE(resumed->has_value());
  CHECK((*resumed)->finished);
  CHECK(test::read_file(stem) == "wal bytes");
  CHECK_FALSE(fs::exists(plan.set_aside[1].from));
  check_finished(f);
}

TEST_CASE("issue 11.6: a restore cut off while copying is undone: its partial copy goes, the DB stays") {
  RestoreFixture f;
  const auto before = test::folder_contents(f.dir.path());
  RestoreRecord record{f.db, f.backup.string(), ".4242.tmp", false, ".replaced.20261204T000000Z", {"", "-wal", "-shm"}};
  REQUIRE(write_restore_record(record).has_value());
  test::write_file(record.staged(), "half a copy");
  test::write_file(with_suffix(record.staged(), "-journal"), "its journal");
  const auto again = test::run_command(f.argv({"--latest", "--dry-run"}));
  CHECK(again.exit_code == 0);
  CHECK(again.err.find(restore_record_path(f.db).string()) != std::string::npos);
  CHECK(fs::exists(record.staged()));  // a dry run changes nothing
  auto resumed = resume_restore(f.db);
  REQUIRE(resumed.has_value());
  REQUIRE(resumed->has_value());
  CHECK_FALSE((*resumed)->finished);
  CHECK(test::folder_contents(f.dir.path()) == before);
}

TEST_CASE("issue 11.6: killed with SIGKILL at random moments, the next restore finishes or redoes it, and nothing is lost") {
  std::mt19937 random(777);
  for (int iteration = 0; iteration < 8; ++iteration) {
    CAPTURE(iteration);
    RestoreFixture f(20000);
    {
      test::ChildProcess restore(f.argv({f.backup.string(), "--yes"}));
      std::this_thread::sleep_for(std::chrono::microseconds(random() % 60000));
      restore.send(SIGKILL);
      restore.wait();
    }
    f.check_nothing_lost();
    const bool done = fs::exists(f.db) && test::read_file(f.db) != f.old_bytes &&
                      !fs::exists(restore_record_path(f.db));
    INFO("done: " << done << " db bytes same: " << (fs::exists(f.db) && test::read_file(f.db) == f.old_bytes));
    if (!done) {
      const auto again = test::run_command(f.argv({f.backup.string(), "--yes"}));
      INFO(again.err);
      CHECK(again.exit_code == 0);
    }
    CHECK(test::count_rows(f.db) == 20000);
    CHECK_FALSE(fs::exists(restore_record_path(f.db)));
    int old_copies = 0;
    for (const auto& entry : fs::directory_iterator(f.dir.path())) {
      CHECK(entry.path().filename().string().find(".tmp") == std::string::npos);
      if (entry.path().filename().string().find(".replaced.") != std::string::npos &&
          test::read_file(entry.path()) == f.old_bytes) {
        ++old_copies;
      }
    }
    CHECK(old_copies == 1);
  }
}

TEST_CASE("issue 11.6: the next run finishes a restore that was cut off, says so, and starts on the restored DB") {
  test::RunFixture f;
  f.configure_command({"true"});
  auto taken = BackupStore(f.db(), f.dir / "backups").take(BackupKind::kManual, {10});
  REQUIRE(taken.has_value());
  int steps = 0;
  const auto plan = plan_restore(f.db(), taken->file.path);
  REQUIRE_FALSE(execute_restore(plan, [&](const std::string&) { return ++steps <= 1; }));
  REQUIRE_FALSE(fs::exists(f.db()));
  const auto result = f.run();
  INFO(result.err);
  CHECK(result.exit_code == 0);
  CHECK(result.err.find("was cut off; it was finished now") != std::string::npos);
  CHECK(test::count_rows(f.db()) == 200);
  CHECK_FALSE(fs::exists(restore_record_path(f.db())));
  const auto warnings = f.latest_summary()["db_health"]["warnings"].dump();
  CHECK(warnings.find("was cut off; it was finished now") != std::string::npos);
}
