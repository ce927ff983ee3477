// A hostile backup folder, in whole `engine-supervisor run` sessions: the
// real binary, the real demo engine, real DB files.
//
// The next backup's name depends on the current UTC second, so every name
// the run could pick (a window of seconds, with -2 and -3, for `bak` and
// `post`) is taken in advance by something that is not a backup: a symlink
// to a file outside the folder, to the live DB, to a folder, to nowhere; a
// folder with a file in it; a FIFO (which would hang whoever opened it).
// Old, valid backup names hold the same things, beside real old backups,
// with retention_count small, so retention sees them all. And the whole
// folder may be read-only.
//
// The supervisor must never follow one of those entries, write through it,
// replace it or delete it; its own backups go under free names; retention
// deletes exactly the real old backups beyond the count; and the session
// runs and ends clean.

#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <mutex>
#include <optional>
#include <random>
#include <set>

#include "common/backup_store.hpp"
#include "common/integrity_check.hpp"
#include "support/run_fixture.hpp"
#include "torture/backup_name_oracle.hpp"
#include "torture/backup_torture_support.hpp"
#include "torture/folder_state.hpp"
#include "torture/open_interceptor.hpp"
#include "torture/scoped_mount.hpp"
#include "torture/torture_mode.hpp"

using namespace es;
using namespace es::torture;
namespace fs = std::filesystem;

namespace {

// Seconds of backup names taken ahead of the run: far more than a run of
// the demo engine for 0.3 s needs, so both backups fall inside.
constexpr int kWindowBefore = 2;
constexpr int kWindowAfter = 30;

struct Victims {
  fs::path folder;
  fs::path file() const { return folder / "victim.bin"; }
  fs::path db() const { return folder / "victim.db"; }
  fs::path subfolder() const { return folder / "victim-folder"; }
};

Victims make_victims(const fs::path& folder, std::mt19937_64& random) {
  Victims victims{folder};
  fs::create_directories(victims.subfolder());
  std::string bytes(4096 + random() % 4096, '\0');
  for (auto& byte : bytes) byte = static_cast<char>(random());
  test::write_file(victims.file(), bytes);
  test::make_db(victims.db(), 20);
  test::write_file(victims.subfolder() / "inside", "victim folder content");
  return victims;
}

constexpr int kPlantKinds = 9;

// Puts something that is not a backup under `name`: entry kind `choice` of
// kPlantKinds. Never throws (it also runs on the interceptor's thread);
// returns what went wrong, or an empty string.
std::string plant_entry(const fs::path& folder, const std::string& name, const Victims& victims,
                        const fs::path& live_db, int choice) {
  const auto path = folder / name;
  std::error_code ec;
  switch (choice) {
    case 0:
      fs::create_symlink(victims.file(), path, ec);
      break;
    case 1:
      fs::create_symlink(fs::relative(victims.db(), folder, ec), path, ec);
      break;
    case 2:
      fs::create_symlink(live_db, path, ec);
      break;
    case 3:
      fs::create_symlink(fs::relative(live_db, folder, ec), path, ec);
      break;
    case 4:
      fs::create_symlink(victims.subfolder(), path, ec);
      break;
    case 5:
      fs::create_symlink("nothing-here", path, ec);
      break;  // dangling
    case 6:
      if (fs::create_directory(path, ec)) test::write_file(path / "keep-me", "a folder's content");
      break;
    case 7:
      if (::mkfifo(path.c_str(), 0600) != 0) ec.assign(errno, std::generic_category());
      break;
    default:
      fs::create_symlink(name, path, ec);
      break;  // a loop onto itself
  }
  return ec ? "planting " + path.string() + ": " + ec.message() : std::string();
}

void plant(const fs::path& folder, const std::string& name, const Victims& victims,
           const fs::path& live_db, std::mt19937_64& random) {
  const auto problem =
      plant_entry(folder, name, victims, live_db, static_cast<int>(random() % kPlantKinds));
  REQUIRE_MESSAGE(problem.empty(), problem);
}

struct HostileFolder {
  std::set<std::string> hostile;      // planted names (not backups)
  std::set<std::string> old_backups;  // real backups with old stamps
  Clock::time_point window_start;
  Clock::time_point window_end;
};

// Fills `folder` with real old backups and hostile entries under old names,
// under every name the coming run could pick, and under temporary names.
HostileFolder make_hostile_folder(const fs::path& live_db, const fs::path& folder,
                                  const Victims& victims, int retention_count,
                                  std::mt19937_64& random) {
  HostileFolder made;
  const BackupStore store(live_db, folder);
  auto old = *parse_compact_stamp("20240101T000000Z");
  for (const auto kind : {BackupKind::kPreSession, BackupKind::kPostSession, BackupKind::kManual,
                          BackupKind::kLive}) {
    for (int i = retention_count + 1 + static_cast<int>(random() % 3); i > 0; --i) {
      old += std::chrono::seconds(1 + random() % 1000000);
      BackupName name{kind, old, 1 + static_cast<int>(random() % 3)};
      const auto file_name = format_backup_name("live.db", name);
      if (random() % 3 == 0) {
        plant(folder, file_name, victims, live_db, random);
        made.hostile.insert(file_name);
        // Beside it, a temporary name of a backup killed long ago.
        if (random() % 2 == 0) {
          plant(folder, file_name + ".999999999.tmp", victims, live_db, random);
          made.hostile.insert(file_name + ".999999999.tmp");
        }
      } else {
        auto taken = store.take(kind, {1000}, old);
        REQUIRE_MESSAGE(taken.has_value(), taken.error().message);
        made.old_backups.insert(taken->file.path.filename().string());
      }
    }
  }
  const auto now = std::chrono::floor<std::chrono::seconds>(Clock::now());
  made.window_start = now - std::chrono::seconds(kWindowBefore);
  made.window_end = now + std::chrono::seconds(kWindowAfter);
  for (auto second = made.window_start; second <= made.window_end;
       second += std::chrono::seconds(1)) {
    for (const auto kind : {BackupKind::kPreSession, BackupKind::kPostSession}) {
      for (int sequence = 1; sequence <= 3; ++sequence) {
        const auto name = format_backup_name("live.db", {kind, second, sequence});
        plant(folder, name, victims, live_db, random);
        made.hostile.insert(name);
      }
    }
  }
  return made;
}

// A backup the run wrote: a regular file that verifies, under a name none
// of the planted entries held, inside the window (so it had to go round them).
void check_new_backup(const fs::path& folder, const std::string& name, const HostileFolder& made,
                      const std::string& kind) {
  CAPTURE(name);
  struct stat info {};
  REQUIRE(::lstat((folder / name).c_str(), &info) == 0);
  CHECK(S_ISREG(info.st_mode));
  CHECK(made.hostile.count(name) == 0);
  const auto parsed = oracle_parse(name, "live.db");
  REQUIRE(parsed);
  CHECK(parsed->kind == kind);
  REQUIRE_MESSAGE(parsed->stamp >= compact_stamp(made.window_start),
                  "the clock went back before the hostile window");
  REQUIRE_MESSAGE(parsed->stamp <= compact_stamp(made.window_end),
                  "the run outlasted the hostile window: widen kWindowAfter");
  CHECK(parsed->sequence == 4);  // 1, 2 and 3 were taken
  CHECK(run_integrity_check(folder / name, CheckMode::kFull).ok());
}

constexpr const char* kHostileEntries =
    "torture: hostile backup folder: symlinks, folders and FIFOs under backup names are never "
    "followed, overwritten or deleted, the session runs, and retention deletes only real old "
    "backups";

}  // namespace

TEST_CASE(kHostileEntries) {
  for (const auto seed : torture_mode().seeds(salt_of(kHostileEntries), 4, 40)) {
    INFO(how_to_reproduce(kHostileEntries, seed));
    std::mt19937_64 random(seed);
    const int retention_count = 1 + static_cast<int>(random() % 3);
    CAPTURE(retention_count);

    test::RunFixture f;
    const auto backups = f.dir / "backups";
    const auto victims = make_victims(f.dir / "victims", random);
    const auto made = make_hostile_folder(f.db(), backups, victims, retention_count, random);
    const auto before = capture_folder(backups);
    const auto victims_before = capture_folder(victims.folder);
    struct stat live_before {};
    REQUIRE(::stat(f.db().c_str(), &live_before) == 0);

    write_run_config(f, backups, retention_count, {"--seconds", "0.3"});
    const auto result = f.run();
    CAPTURE(result.err);
    const auto after = capture_folder(backups);

    // The session ran and ended clean, with both backups taken.
    CHECK(result.exit_code == 0);
    const auto summary = f.latest_summary();
    CHECK(summary["outcome"] == "clean");
    CHECK(summary["engine"]["exit_code"] == 0);
    CHECK_FALSE(sessions_ended_at(f.db()).empty());
    const auto& health = summary["db_health"];
    CAPTURE(health.dump(2));
    CHECK(health["pre_session_backup_error"].is_null());
    CHECK(health["post_session_backup_error"].is_null());
    CHECK(health["warnings"].empty());
    REQUIRE(health["pre_session_backup"].is_string());
    REQUIRE(health["post_session_backup"].is_string());
    const auto pre = health["pre_session_backup"].get<std::string>();
    const auto post = health["post_session_backup"].get<std::string>();
    check_new_backup(backups, pre, made, "bak");
    check_new_backup(backups, post, made, "post");

    // Retention took exactly the real old backups beyond the count, of the
    // kinds written; nothing else changed, was followed or was added.
    std::set<std::string> deleted = retention_victims(before, "live.db", "bak", retention_count);
    const auto post_deleted = retention_victims(before, "live.db", "post", retention_count);
    deleted.insert(post_deleted.begin(), post_deleted.end());
    for (const auto& name : deleted) {
      CAPTURE(name);
      CHECK(made.old_backups.count(name) == 1);
      CHECK_FALSE(after.count(name));
    }
    const auto differences = folder_differences(before, after, deleted, {pre, post});
    CHECK_MESSAGE(differences.empty(), first_lines(differences));
    const auto victim_differences =
        folder_differences(victims_before, capture_folder(victims.folder));
    CHECK_MESSAGE(victim_differences.empty(), first_lines(victim_differences));

    // The live DB behind its symlinks: the same file, whole, the engine's.
    struct stat live_after {};
    REQUIRE(::stat(f.db().c_str(), &live_after) == 0);
    CHECK(live_after.st_ino == live_before.st_ino);
    CHECK(run_integrity_check(f.db(), CheckMode::kFull).ok());

    // `backups` lists the real backups and nothing planted.
    const auto listed = test::run_command(
        {test::supervisor_binary(), "backups", "--config", f.config().string(), "--json"});
    REQUIRE(listed.exit_code == 0);
    std::set<std::string> listed_names, expected_names;
    for (const auto& row : nlohmann::json::parse(listed.out)) {
      listed_names.insert(fs::path(row["path"].get<std::string>()).filename().string());
      CHECK(row["verifies"] == true);
    }
    for (const auto& [name, state] : after) {
      if (state.type == EntryType::kFile && oracle_parse(name, "live.db"))
        expected_names.insert(name);
    }
    CHECK(listed_names == expected_names);
  }
}

namespace {

enum class ReadOnlyBy { kMount, kPermissions };

// Hands the run's tree to `nobody`, all but the backup folder, which stays
// root's and closed to others' writes (0755).
void give_to_nobody_but(const fs::path& root, const fs::path& keep) {
  constexpr uid_t kNobody = 65534;
  REQUIRE(::chown(root.c_str(), kNobody, kNobody) == 0);
  for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator();
       ++it) {
    if (it->path() == keep) {
      it.disable_recursion_pending();
      continue;
    }
    REQUIRE(::lchown(it->path().c_str(), kNobody, kNobody) == 0);
  }
}

constexpr const char* kReadOnlyFolder =
    "torture: hostile backup folder: a read-only folder (read-only mount, or no write permission) "
    "fails both backups with a message naming it, the session runs, and nothing in it changes";

}  // namespace

// Read-only, two real ways. Root ignores permission bits, so a folder the
// supervisor may not write is made by running the whole session as
// `nobody` against a root-owned 0755 folder: what a service user meets.
// A read-only bind mount of the folder stops root itself (EROFS): what a
// read-only filesystem does. Neither fakes a failure; both are undone by
// the test (TempDir, ScopedMount).
TEST_CASE(kReadOnlyFolder) {
  for (const auto seed : torture_mode().seeds(salt_of(kReadOnlyFolder), 2, 20)) {
    INFO(how_to_reproduce(kReadOnlyFolder, seed));
    for (const auto by : {ReadOnlyBy::kMount, ReadOnlyBy::kPermissions}) {
      const bool by_mount = by == ReadOnlyBy::kMount;
      CAPTURE(by_mount);
      std::mt19937_64 random(seed);
      const int retention_count = 1 + static_cast<int>(random() % 2);

      test::RunFixture f;
      const auto backups = f.dir / "backups";
      const auto victims = make_victims(f.dir / "victims", random);
      make_hostile_folder(f.db(), backups, victims, retention_count, random);
      write_run_config(f, backups, retention_count, {"--seconds", "0.3"});
      std::string why_not;
      const auto read_only =
          by_mount ? ScopedMount::read_only_bind(backups, why_not) : std::optional<ScopedMount>();
      if (by_mount) {
        if (!read_only) {
          WARN_MESSAGE(false, "SKIPPED: cannot bind-mount a folder read-only here: " << why_not);
          return;
        }
      } else {
        if (::getuid() != 0) {
          WARN_MESSAGE(false, "SKIPPED: running as nobody needs the tests to run as root");
          return;
        }
        give_to_nobody_but(f.dir.path(), backups);
      }
      const auto before = capture_folder(backups);
      const auto victims_before = capture_folder(victims.folder);

      const auto result =
          by_mount ? f.run() : test::run_command_unprivileged(f.run_argv(), f.dir.path());
      CAPTURE(result.err);
      CHECK(result.exit_code == 0);
      const auto summary = f.latest_summary();
      CHECK(summary["outcome"] == "clean");
      CHECK(summary["engine"]["exit_code"] == 0);
      CHECK_FALSE(sessions_ended_at(f.db()).empty());
      const auto& health = summary["db_health"];
      CAPTURE(health.dump(2));
      const std::string cause = by_mount ? "Read-only file system" : "Permission denied";
      for (const char* which : {"pre_session_backup", "post_session_backup"}) {
        CAPTURE(which);
        CHECK(health[which].is_null());
        const auto error = health[std::string(which) + "_error"];
        REQUIRE(error.is_string());
        CHECK(contains(error.get<std::string>(), backups.string()));
        CHECK(contains(error.get<std::string>(), cause));
      }
      const auto differences = folder_differences(before, capture_folder(backups));
      CHECK_MESSAGE(differences.empty(), first_lines(differences));
      const auto victim_differences =
          folder_differences(victims_before, capture_folder(victims.folder));
      CHECK_MESSAGE(victim_differences.empty(), first_lines(victim_differences));
    }
  }
}

namespace {

constexpr const char* kTemporaryName =
    "torture: hostile backup folder: an entry planted at the temporary name of a backup or its "
    "-journal, -wal or -shm fails that backup, and is neither followed nor removed";

}  // namespace

// In process, where the temporary's name (<final>.<pid>.tmp) is known in
// advance: the one name a run could not be fenced off from above.
TEST_CASE(kTemporaryName) {
  for (const auto seed : torture_mode().seeds(salt_of(kTemporaryName), 8, 100)) {
    INFO(how_to_reproduce(kTemporaryName, seed));
    std::mt19937_64 random(seed);
    test::TempDir dir;
    test::make_db(dir / "live.db", 50);
    const auto backups = dir / "backups";
    fs::create_directory(backups);
    const auto victims = make_victims(dir / "victims", random);

    const auto now = Clock::now();
    const auto kind = random() % 2 ? BackupKind::kPreSession : BackupKind::kManual;
    const auto final_name =
        format_backup_name("live.db", {kind, std::chrono::floor<std::chrono::seconds>(now), 1});
    const std::string temporary = final_name + "." + std::to_string(::getpid()) + ".tmp";
    const std::array suffixes = {"", "-journal", "-wal", "-shm"};
    const std::string planted = temporary + suffixes[random() % suffixes.size()];
    CAPTURE(planted);
    plant(backups, planted, victims, dir / "live.db", random);
    const auto before = capture_folder(backups);
    const auto victims_before = capture_folder(victims.folder);
    const auto live_before = test::read_file(dir / "live.db");

    auto taken = BackupStore(dir / "live.db", backups).take(kind, {1}, now);
    REQUIRE_FALSE(taken.has_value());
    CHECK(contains(taken.error().message, (backups / planted).string()));
    const auto differences = folder_differences(before, capture_folder(backups));
    CHECK_MESSAGE(differences.empty(), first_lines(differences));
    const auto victim_differences =
        folder_differences(victims_before, capture_folder(victims.folder));
    CHECK_MESSAGE(victim_differences.empty(), first_lines(victim_differences));
    CHECK(test::read_file(dir / "live.db") == live_before);
  }
}

namespace {

constexpr const char* kPlantedDuringCopy =
    "torture: hostile backup folder: something planted at the final name while the copy runs is "
    "not replaced, the backup claims the next name, the session runs, and retention deletes only "
    "real backups";

}  // namespace

// The name a backup will get is checked free before its copy starts; the
// rename at the end must still never replace what appeared there meanwhile
// (rename(2) would silently drop a symlink planted there): it claims the
// next free name instead (issue 11.13). The planting is
// done by an OpenInterceptor while the opening of the temporary is held,
// so it always lands between the check and the rename.
TEST_CASE(kPlantedDuringCopy) {
  for (const auto seed : torture_mode().seeds(salt_of(kPlantedDuringCopy), 2, 20)) {
    INFO(how_to_reproduce(kPlantedDuringCopy, seed));
    std::mt19937_64 random(seed);
    const int retention_count = 1 + static_cast<int>(random() % 2);
    test::RunFixture f;
    const auto backups = f.dir / "backups";
    const auto victims = make_victims(f.dir / "victims", random);
    // Real old backups of both kinds, more than the count: retention would
    // delete some if a backup succeeded.
    const BackupStore store(f.db(), backups);
    auto old = *parse_compact_stamp("20240101T000000Z");
    for (const auto kind : {BackupKind::kPreSession, BackupKind::kPostSession}) {
      for (int i = 0; i <= retention_count; ++i) {
        old += std::chrono::hours(1);
        REQUIRE(store.take(kind, {1000}, old).has_value());
      }
    }

    // What to plant for each kind, chosen here so the seed decides it.
    const int bak_choice = static_cast<int>(random() % kPlantKinds);
    const int post_choice = static_cast<int>(random() % kPlantKinds);
    CAPTURE(bak_choice);
    CAPTURE(post_choice);
    std::mutex mutex;
    std::vector<std::string> planted;
    std::string why_not;
    auto interceptor = OpenInterceptor::start(
        backups,
        [&](const fs::path& opened) -> std::string {
          // <final>.<pid>.tmp: plant at <final>, once per kind.
          auto name = opened.filename().string();
          if (!name.ends_with(".tmp")) return {};
          name.resize(name.size() - 4);
          name.resize(name.rfind('.'));
          const auto parsed = oracle_parse(name, "live.db");
          if (!parsed || parsed->kind == "manual") return {};
          std::lock_guard lock(mutex);
          for (const auto& done : planted) {
            if (oracle_parse(done, "live.db")->kind == parsed->kind) return {};
          }
          planted.push_back(name);
          return plant_entry(backups, name, victims, f.db(),
                             parsed->kind == "bak" ? bak_choice : post_choice);
        },
        why_not);
    if (!interceptor) {
      WARN_MESSAGE(false, "SKIPPED: no fanotify permission events to plant mid-copy: " << why_not);
      return;
    }
    const auto before = capture_folder(backups);
    const auto victims_before = capture_folder(victims.folder);

    write_run_config(f, backups, retention_count, {"--seconds", "0.3"});
    const auto result = f.run();
    const auto after = capture_folder(backups);
    CAPTURE(result.err);
    const auto problems = interceptor->problems();
    CHECK_MESSAGE(problems.empty(), first_lines(problems));
    interceptor.reset();

    CHECK(result.exit_code == 0);
    const auto summary = f.latest_summary();
    CHECK(summary["outcome"] == "clean");
    CHECK_FALSE(sessions_ended_at(f.db()).empty());
    const auto& health = summary["db_health"];
    CAPTURE(health.dump(2));
    REQUIRE(planted.size() == 2);
    std::set<std::string> planted_names(planted.begin(), planted.end());
    std::set<std::string> expected_new = planted_names;
    for (const auto& name : planted) {
      CAPTURE(name);
      const bool pre = oracle_parse(name, "live.db")->kind == "bak";
      const std::string which = pre ? "pre_session_backup" : "post_session_backup";
      CHECK(health[which + "_error"].is_null());
      REQUIRE(health[which].is_string());
      const auto taken = fs::path(health[which].get<std::string>()).filename().string();
      CHECK(taken != name);
      CHECK(taken.starts_with(name + "-"));
      REQUIRE(after.count(taken) == 1);
      CHECK(after.at(taken).type == EntryType::kFile);
      CHECK(run_integrity_check(backups / taken, CheckMode::kFull).ok());
      expected_new.insert(taken);
    }
    // New: what was planted and the two backups. Gone: only real old
    // backups, to retention. Everything else as it was.
    std::set<std::string> old_backups;
    for (const auto& [name, entry] : before) old_backups.insert(name);
    const auto differences = folder_differences(before, after, old_backups, expected_new);
    CHECK_MESSAGE(differences.empty(), first_lines(differences));
    for (const auto& name : planted) {
      CAPTURE(name);
      REQUIRE(after.count(name) == 1);
      CHECK(after.at(name).type != EntryType::kFile);  // never the copy renamed over it
      if (after.count(name + "/keep-me")) {
        CHECK(after.at(name + "/keep-me").content == "a folder's content");
      }
    }
    const auto victim_differences =
        folder_differences(victims_before, capture_folder(victims.folder));
    CHECK_MESSAGE(victim_differences.empty(), first_lines(victim_differences));
    CHECK(run_integrity_check(f.db(), CheckMode::kFull).ok());
  }
}
