#include "common/backup_store.hpp"

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "common/sqlite_db.hpp"
#include "support/temp_dir.hpp"
#include "support/test_db.hpp"

using namespace es;
namespace fs = std::filesystem;

namespace {

std::set<std::string> names_in(const fs::path& folder) {
  std::set<std::string> names;
  for (const auto& entry : fs::directory_iterator(folder)) names.insert(entry.path().filename());
  return names;
}

std::int64_t max_order_id(const fs::path& db) {
  auto conn = SqliteDb::open_read_only(db);
  REQUIRE(conn.has_value());
  auto id = conn->query_int("SELECT coalesce(max(id), 0) FROM orders", "max id");
  REQUIRE(id.has_value());
  return *id;
}

}  // namespace

TEST_CASE("backup: the name matches the pattern, the stamp is the current UTC second, and it verifies") {
  test::TempDir dir;
  test::make_db(dir / "live.db");
  fs::create_directory(dir / "backups");
  const BackupStore store(dir / "live.db", dir / "backups");

  const auto before = std::chrono::floor<std::chrono::seconds>(Clock::now());
  auto taken = store.take(BackupKind::kPreSession, {10});
  const auto after = Clock::now();
  REQUIRE(taken.has_value());
  const auto name = taken->file.path.filename().string();
  const auto parsed = parse_backup_name(name, "live.db");
  REQUIRE(parsed);
  CHECK(name.rfind("live.db.bak.", 0) == 0);
  CHECK(parsed->stamp >= before);
  CHECK(parsed->stamp <= after);
  CHECK(run_integrity_check(taken->file.path, CheckMode::kFull).ok());
  CHECK(test::count_rows(taken->file.path) == 200);

  struct stat info {};
  REQUIRE(::stat(taken->file.path.c_str(), &info) == 0);
  CHECK((info.st_mode & 0777) == 0600);
  // Only the backup itself: no temporary, no -wal or -shm beside it.
  CHECK(names_in(dir / "backups") == std::set<std::string>{name});
}

TEST_CASE("backup: a clash in the same second gets -2, -3 and never overwrites") {
  test::TempDir dir;
  test::make_db(dir / "live.db");
  const BackupStore store(dir / "live.db", dir.path());
  const auto now = Clock::now();
  auto first = store.take(BackupKind::kManual, {10}, now);
  auto second = store.take(BackupKind::kManual, {10}, now);
  auto third = store.take(BackupKind::kManual, {10}, now);
  REQUIRE(first.has_value());
  REQUIRE(second.has_value());
  REQUIRE(third.has_value());
  const std::string stem = "live.db.manual." + compact_stamp(now);
  CHECK(first->file.path.filename() == stem);
  CHECK(second->file.path.filename() == stem + "-2");
  CHECK(third->file.path.filename() == stem + "-3");
}

TEST_CASE("backup: taken while another process commits every few ms, it finishes, verifies and holds every earlier row") {
  test::TempDir dir;
  const auto db = dir / "live.db";
  const pid_t engine = fork();
  if (engine == 0) {
    const std::string path = db.string();
    execl(test::demo_engine_binary().c_str(), "es-demo-engine", "--db", path.c_str(),
          "--interval-ms", "2", static_cast<char*>(nullptr));
    _exit(127);
  }
  // Wait until the engine has committed a good number of transactions.
  for (int i = 0; i < 500; ++i) {
    if (fs::exists(db) && test::count_rows(db, "orders") > 200) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  const BackupStore store(db, dir.path());
  for (int round = 0; round < 3; ++round) {
    const auto committed_before = max_order_id(db);
    auto taken = store.take(BackupKind::kManual, {10});
    REQUIRE_MESSAGE(taken.has_value(), taken.error().message);
    CHECK(run_integrity_check(taken->file.path, CheckMode::kFull).ok());
    auto copy = SqliteDb::open_read_only(taken->file.path);
    REQUIRE(copy.has_value());
    CHECK(copy->query_int("SELECT count(*) FROM orders WHERE id <= " +
                              std::to_string(committed_before), "count").value() ==
          committed_before);
  }
  CHECK(max_order_id(db) > 200);
  kill(engine, SIGTERM);
  int status = 0;
  waitpid(engine, &status, 0);
  CHECK(WIFEXITED(status));
}

TEST_CASE("retention: keeps exactly N per kind across repeated backups and leaves every decoy alone") {
  test::TempDir dir;
  test::make_db(dir / "live.db");
  test::make_db(dir / "other.db", 5);
  const std::set<std::string> decoys = {"other.db.bak.20200101T000000Z", "live.db.bak.notes.txt",
                                        "live.db.bak.20200101T000000Z.1234.tmp",
                                        "live.db.bak.20200101T000000Z-01", "live.db.baks"};
  for (const auto& decoy : decoys) test::write_file(dir / decoy, "decoy");
  fs::create_directory(dir / "live.db.bak.20200101T000001Z");  // a folder with a backup name
  fs::create_symlink(dir / "other.db", dir / "live.db.bak.20200101T000002Z");

  const BackupStore store(dir / "live.db", dir.path());
  const auto start = Clock::now();
  std::vector<fs::path> manual_written;
  for (int i = 0; i < 6; ++i) {
    auto taken = store.take(BackupKind::kPreSession, {3, 0, 0}, start + std::chrono::seconds(i));
    REQUIRE(taken.has_value());
    CHECK(fs::exists(taken->file.path));  // never deletes the one just written
    auto manual = store.take(BackupKind::kManual, {2, 0, 0}, start + std::chrono::seconds(i));
    REQUIRE(manual.has_value());
    manual_written.push_back(manual->file.path);
  }
  int pre = 0, manual = 0;
  for (const auto& backup : store.list()) {
    if (backup.name.kind == BackupKind::kPreSession) ++pre;
    if (backup.name.kind == BackupKind::kManual) ++manual;
  }
  CHECK(pre == 3);
  CHECK(manual == 2);
  CHECK(fs::exists(manual_written[5]));
  CHECK(fs::exists(manual_written[4]));
  CHECK_FALSE(fs::exists(manual_written[3]));
  for (const auto& decoy : decoys) {
    CAPTURE(decoy);
    CHECK(test::read_file(dir / decoy) == "decoy");
  }
  CHECK(fs::is_directory(dir / "live.db.bak.20200101T000001Z"));
  CHECK(fs::is_symlink(dir / "live.db.bak.20200101T000002Z"));
  CHECK(test::count_rows(dir / "other.db") == 5);
}

TEST_CASE("retention: a backup just written with an older stamp than the rest is kept") {
  test::TempDir dir;
  test::make_db(dir / "live.db");
  const BackupStore store(dir / "live.db", dir.path());
  const auto now = Clock::now();
  REQUIRE(store.take(BackupKind::kManual, {1}, now + std::chrono::hours(1)).has_value());
  auto old = store.take(BackupKind::kManual, {1}, now);  // clock stepped back
  REQUIRE(old.has_value());
  CHECK(fs::exists(old->file.path));
}

TEST_CASE("retention: a name stamped beyond what the clock can hold is not a backup: never deleted, never counted") {
  test::TempDir dir;
  test::make_db(dir / "live.db");
  // Year 9999 once overflowed to a time in the past: retention then kept an
  // older backup and deleted this one, the newest by its name.
  test::write_file(dir / "live.db.manual.99991021T170853Z", "someone's file");
  const BackupStore store(dir / "live.db", dir.path());
  const auto now = Clock::now();
  REQUIRE(store.take(BackupKind::kManual, {1}, now).has_value());
  auto newest = store.take(BackupKind::kManual, {1}, now + std::chrono::seconds(1));
  REQUIRE(newest.has_value());
  CHECK(test::read_file(dir / "live.db.manual.99991021T170853Z") == "someone's file");
  REQUIRE(store.list().size() == 1);
  CHECK(store.list()[0].path == newest->file.path);
}

TEST_CASE("backup: a missing or unusable backup folder gives a clear error and no partial file") {
  test::TempDir dir;
  test::make_db(dir / "live.db");
  SUBCASE("missing") {
    auto taken = BackupStore(dir / "live.db", dir / "nowhere").take(BackupKind::kManual, {5});
    REQUIRE_FALSE(taken.has_value());
    CHECK(taken.error().exit_code == ExitCode::kIoError);
    CHECK(taken.error().message.find((dir / "nowhere").string() + " does not exist") !=
          std::string::npos);
    CHECK_FALSE(fs::exists(dir / "nowhere"));
  }
  SUBCASE("a file, not a folder") {
    test::write_file(dir / "file", "x");
    auto taken = BackupStore(dir / "live.db", dir / "file").take(BackupKind::kManual, {5});
    REQUIRE_FALSE(taken.has_value());
    CHECK(taken.error().message.find("is not a folder") != std::string::npos);
  }
  SUBCASE("unwritable, through the real command") {
    fs::create_directory(dir / "ro");
    fs::permissions(dir / "ro", fs::perms::owner_read | fs::perms::owner_exec |
                                    fs::perms::group_read | fs::perms::group_exec |
                                    fs::perms::others_read | fs::perms::others_exec);
    fs::create_directory(dir / "logs");
    fs::permissions(dir / "logs", fs::perms::all);
    test::write_file(dir / "c.yaml", "database:\n  path: live.db\n  backup_dir: ro\n"
                                     "logging:\n  dir: logs\n");
    // Root ignores folder permissions; the command runs as an ordinary user.
    auto result = test::run_command_unprivileged(
        {test::supervisor_binary(), "backup", "--config", (dir / "c.yaml").string()});
    CHECK(result.exit_code == 74);
    CHECK(result.err.find((dir / "ro").string()) != std::string::npos);
    CHECK(result.err.find("Permission denied") != std::string::npos);
    CHECK(fs::is_empty(dir / "ro"));
  }
}

TEST_CASE("backup: `backup` prints the file and `backups --json` lists newest first with verification") {
  test::TempDir dir;
  test::make_db(dir / "live.db");
  const auto db = (dir / "live.db").string();
  auto first = test::run_command({test::supervisor_binary(), "backup", "--db", db});
  REQUIRE(first.exit_code == 0);
  auto second = test::run_command({test::supervisor_binary(), "backup", "--db", db});
  REQUIRE(second.exit_code == 0);
  const fs::path newest = second.out.substr(0, second.out.size() - 1);
  CHECK(fs::exists(newest));
  test::overwrite(newest, 0, 16, 'Z');  // break the newest one

  auto listed = test::run_command({test::supervisor_binary(), "backups", "--db", db, "--json"});
  REQUIRE(listed.exit_code == 0);
  const auto rows = nlohmann::json::parse(listed.out);
  REQUIRE(rows.size() == 2);
  CHECK(rows[0]["path"] == newest.string());
  CHECK(rows[0]["kind"] == "manual");
  CHECK(rows[0]["verifies"] == false);
  CHECK(rows[1]["verifies"] == true);
  CHECK(rows[1]["size"].get<std::uintmax_t>() > 0);

  auto missing = test::run_command(
      {test::supervisor_binary(), "backup", "--db", (dir / "absent.db").string()});
  CHECK(missing.exit_code != 0);
  CHECK_FALSE(fs::exists(dir / "absent.db"));
}

TEST_CASE("backup: temporaries of a killed backup are reported, and nothing is deleted") {
  test::TempDir dir;
  test::make_db(dir / "live.db");
  // A pid far above pid_max is never alive; our own pid is.
  const std::string dead = "live.db.bak.20260101T000000Z.999999999.tmp";
  const std::string alive =
      "live.db.bak.20260101T000000Z." + std::to_string(getpid()) + ".tmp";
  const std::set<std::string> others = {alive, "other.db.bak.20260101T000000Z.999999999.tmp",
                                        "live.db.bak.notes.999999999.tmp", "live.db.999999999.tmp"};
  test::write_file(dir / dead, "partial");
  test::write_file(dir / (dead + "-journal"), "partial");
  for (const auto& name : others) test::write_file(dir / name, "keep");
  const BackupStore store(dir / "live.db", dir.path());
  auto stale = store.find_stale_temporaries();
  std::sort(stale.begin(), stale.end());
  CHECK(stale == std::vector<fs::path>{dir / dead, dir / (dead + "-journal")});
  REQUIRE(store.take(BackupKind::kManual, {5}).has_value());
  CHECK(test::read_file(dir / dead) == "partial");
  for (const auto& name : others) CHECK(test::read_file(dir / name) == "keep");
}

TEST_CASE("backup: too little free space fails fast with a clear message and no partial file") {
  test::TempDir dir;
  test::make_db(dir / "live.db", 12000);  // about 3 MB, more than the folder can hold
  const auto tiny = dir / "tiny";
  fs::create_directory(tiny);
  const auto mounted =
      test::run_command({"/bin/mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", tiny.string()});
  if (mounted.exit_code != 0) {
    // Needs CAP_SYS_ADMIN; say so rather than pass quietly.
    WARN_MESSAGE(false, "SKIPPED: cannot mount a 1 MiB tmpfs here: " << mounted.err);
    return;
  }
  auto taken = BackupStore(dir / "live.db", tiny).take(BackupKind::kPreSession, {5});
  const bool empty_after = fs::is_empty(tiny);
  test::run_command({"/bin/umount", tiny.string()});
  REQUIRE_FALSE(taken.has_value());
  CHECK(taken.error().exit_code == ExitCode::kIoError);
  CHECK(taken.error().message.find("not enough free space in " + tiny.string()) !=
        std::string::npos);
  CHECK(empty_after);
}

TEST_CASE("backup: a copy that fills the disk leaves no -journal behind and says to free space") {
  test::TempDir dir;
  test::make_db(dir / "live.db", 12000);  // about 3 MB
  const auto tiny = dir / "tiny";
  fs::create_directory(tiny);
  const auto mounted =
      test::run_command({"/bin/mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", tiny.string()});
  if (mounted.exit_code != 0) {
    WARN_MESSAGE(false, "SKIPPED: cannot mount a 1 MiB tmpfs here: " << mounted.err);
    return;
  }
  // copy_database has no preflight: the copy itself runs into ENOSPC. A DB
  // at rest is copied byte for byte; one with frames in its -wal through
  // the backup API, whose SQLITE_FULL left a hot -journal here before.
  for (const bool live_wal : {false, true}) {
    CAPTURE(live_wal);
    const auto source = dir / (live_wal ? "live-wal.db" : "live.db");
    if (live_wal) {
      fs::copy_file(dir / "live.db", source);
      test::commit_in_wal_only(source, 100);
    }
    const auto target = tiny / "copy.tmp";
    test::write_file(target, "");
    auto copied = copy_database(source, target);
    fs::remove(target);
    const bool empty_after = fs::is_empty(tiny);
    CHECK_FALSE(copied.has_value());
    if (copied) continue;
    CHECK(copied.error().message.find(live_wal ? "SQLITE_FULL" : "ENOSPC") != std::string::npos);
    CHECK(copied.error().message.find("The disk that holds " + tiny.string() +
                                      " is full: free some space there first") !=
          std::string::npos);
    CHECK(empty_after);
  }
  test::run_command({"/bin/umount", tiny.string()});
}

TEST_CASE("backup: a -journal already beside the copy's target is not ours: the copy refuses and leaves it") {
  test::TempDir dir;
  test::make_db(dir / "live.db");
  const auto target = dir / "copy.tmp";
  test::write_file(target, "");
  test::write_file(dir / "copy.tmp-journal", "someone's journal");
  auto copied = copy_database(dir / "live.db", target);
  REQUIRE_FALSE(copied.has_value());
  CHECK(copied.error().message.find((dir / "copy.tmp-journal").string() +
                                    " already exists and is not ours") != std::string::npos);
  CHECK(test::read_file(dir / "copy.tmp-journal") == "someone's journal");
  CHECK(test::read_file(target).empty());
}

TEST_CASE("backup: a stop request abandons the copy with an error saying so, and no file is left") {
  test::TempDir dir;
  test::make_db(dir / "live.db", 20000, 300);  // more than one chunk of the copy
  fs::create_directory(dir / "backups");
  std::stop_source stop;
  stop.request_stop();
  const BackupStore store(dir / "live.db", dir / "backups");
  auto prepared = store.prepare(BackupKind::kPreSession, Clock::now(), {}, stop.get_token());
  REQUIRE_FALSE(prepared.has_value());
  CHECK(prepared.error().message.find("abandoned: a stop was requested") != std::string::npos);
  CHECK(prepared.error().message.find((dir / "live.db").string()) != std::string::npos);
  CHECK(fs::is_empty(dir / "backups"));
}

TEST_CASE("issue 11.13: a backup whose name was taken while it copied lands under -2: the rename claims the name") {
  test::TempDir dir;
  test::make_db(dir / "live.db", 200);
  const BackupStore store(dir / "live.db", dir.path());
  const auto now = Clock::now();
  auto prepared = store.prepare(BackupKind::kManual, now);
  REQUIRE(prepared.has_value());
  // Another process's backup of this kind, same second, committed first.
  const std::string stem = "live.db.manual." + compact_stamp(now);
  CHECK(prepared->final_path().filename() == stem);
  test::write_file(dir / stem, "another backup");
  auto taken = store.commit(std::move(*prepared), {10}, now);
  REQUIRE(taken.has_value());
  CHECK(taken->file.path.filename() == stem + "-2");
  CHECK(taken->file.name.sequence == 2);
  CHECK(test::read_file(dir / stem) == "another backup");
  CHECK(run_integrity_check(taken->file.path, CheckMode::kFull).ok());
}

TEST_CASE("issue 11.13: four `backup` commands started together all exit 0 with four distinct verified files") {
  test::TempDir dir;
  test::make_db(dir / "live.db", 3000);
  std::vector<std::unique_ptr<test::ChildProcess>> runs;
  for (int i = 0; i < 4; ++i) {
    runs.push_back(std::make_unique<test::ChildProcess>(
        std::vector<std::string>{test::supervisor_binary(), "backup", "--db", (dir / "live.db").string()},
        test::ChildProcess::Options{dir.path()}));
  }
  std::set<std::string> printed;
  for (auto& run : runs) {
    const auto result = run->wait();
    INFO(result.err);
    CHECK(result.exit_code == 0);
    if (!result.out.empty()) printed.insert(result.out.substr(0, result.out.size() - 1));
  }
  CHECK(printed.size() == 4);
  for (const auto& path : printed) CHECK(run_integrity_check(path, CheckMode::kFull).ok());
}
