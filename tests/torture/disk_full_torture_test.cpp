// A full disk under the backup folder, in whole `engine-supervisor run`
// sessions: the real binary, the real demo engine, real DB files, and a
// real tmpfs of a few MiB that really runs out of space.
//
// Three ways the disk is full:
//   - before the run: the free-space preflight refuses both backups;
//   - during the pre-session copy: a second writer fills the disk after the
//     preflight passed (see disk_filler.hpp: fanotify holds the opening of
//     the backup's temporary until the disk is full, so the copy meets a
//     real ENOSPC every time, with no timing luck);
//   - during the post-session copy, the same way.
// Why a second writer: the preflight asks for the DB plus its -wal plus
// 10 % plus 1 MiB, and a copy is never larger than the DB and its WAL, so
// with the supervisor alone on the disk the copy always fits once the
// preflight passed (around the pre-backup the engine has not started yet;
// around the post-backup it has exited). Only someone else writing at the
// same time fills it mid-copy: another program or another supervisor's
// backups on the same disk (the filler here), or a rogue writer growing the
// DB during the pre-backup, before the sole-writer check refuses it.
// Every time: the session still runs and ends clean (exit 0), the summary
// names the failure (file or folder, cause, next step), nothing partial is
// left under a backup name or as a temporary, and retention deletes nothing
// because of the failure: the real backups already on the disk stay
// byte-identical.

#include <doctest/doctest.h>

#include <algorithm>
#include <random>
#include <set>

#include "common/backup_store.hpp"
#include "common/integrity_check.hpp"
#include "support/run_fixture.hpp"
#include "torture/backup_name_oracle.hpp"
#include "torture/backup_torture_support.hpp"
#include "torture/disk_filler.hpp"
#include "torture/folder_state.hpp"
#include "torture/scoped_mount.hpp"
#include "torture/torture_mode.hpp"

using namespace es;
using namespace es::torture;
namespace fs = std::filesystem;

namespace {

enum class FullWhen { kBeforeTheRun, kDuringPreCopy, kDuringPostCopy };

constexpr std::uintmax_t kMiB = 1u << 20;

// The preflight's own estimate (backup_store.cpp), to put the free space on
// the side of it a scenario needs.
std::uintmax_t preflight_need(std::uintmax_t db_bytes) { return db_bytes + db_bytes / 10 + kMiB; }

std::uintmax_t db_bytes(const fs::path& db) {
  std::error_code ec;
  auto wal = db;
  wal += "-wal";
  const auto size = fs::file_size(wal, ec);
  return fs::file_size(db) + (ec ? 0 : size);
}

// The next step, however the sentence starts.
bool says_free_some_space(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return contains(text, "free some space");
}

// A copy that ran out of space: the byte copy of a DB at rest says ENOSPC,
// the backup API's of a DB with a live WAL SQLITE_FULL.
bool says_disk_full(const std::string& text) {
  return contains(text, "ENOSPC") || contains(text, "SQLITE_FULL");
}

// Backups of every kind with old stamps, real ones taken from the DB while
// it was small: enough of `bak` and `post` that retention at
// `retention_count` would delete some if it ran.
void seed_old_backups(const fs::path& db, const fs::path& folder, int retention_count,
                      std::mt19937_64& random) {
  const BackupStore store(db, folder);
  // Early enough that a dozen steps of up to 90 days stay in the past: a
  // stamp in the future is never deleted.
  auto when = *parse_compact_stamp("20200101T000000Z");
  const auto next_stamp = [&] {
    when += std::chrono::seconds(std::uniform_int_distribution<int>(1, 90 * 86400)(random));
    return when;
  };
  std::uniform_int_distribution<int> extra(1, 2);
  for (const auto kind : {BackupKind::kPreSession, BackupKind::kPostSession}) {
    for (int i = retention_count + extra(random); i > 0; --i) {
      auto taken = store.take(kind, {1000}, next_stamp());
      REQUIRE_MESSAGE(taken.has_value(), taken.error().message);
    }
  }
  for (int i = extra(random) - 1; i > 0; --i) {
    REQUIRE(store.take(BackupKind::kManual, {1000}, next_stamp()).has_value());
  }
}

void run_disk_full(FullWhen when, const std::string& test_name) {
  for (const auto seed : torture_mode().seeds(salt_of(test_name), 3, 30)) {
    INFO(how_to_reproduce(test_name, seed));
    std::mt19937_64 random(seed);
    const int retention_count = std::uniform_int_distribution<int>(1, 3)(random);
    CAPTURE(retention_count);

    test::RunFixture f;
    fs::remove(f.db());
    test::make_db(f.db(), 100);
    const auto tiny = f.dir / "tiny";
    fs::create_directory(tiny);
    // Room for the old backups, the pre-backup and the post-backup's
    // preflight when the disk is to fill during the post copy; less
    // otherwise, so the disk stays a few MiB.
    const std::uintmax_t tiny_size = (when == FullWhen::kDuringPostCopy ? 12 : 8) * kMiB;
    std::string why_not;
    auto mount = ScopedMount::tmpfs(tiny, tiny_size, why_not);
    if (!mount) {
      WARN_MESSAGE(false, "SKIPPED: cannot mount a small tmpfs here: " << why_not);
      return;
    }
    const auto backups = tiny / "backups";
    fs::create_directory(backups);
    seed_old_backups(f.db(), backups, retention_count, random);

    // Now the DB grows to a few MiB: each backup of it is far bigger than
    // the old ones.
    test::make_db(f.db(), std::uniform_int_distribution<int>(5000, 8000)(random));  // 2..3.5 MB
    const auto size = db_bytes(f.db());
    CAPTURE(size);
    const auto need = preflight_need(size);

    // A file of another program on the same disk, never the supervisor's.
    const auto other_program = tiny / "other-program.bin";
    test::write_file(other_program, "not the supervisor's " + std::to_string(seed));

    std::unique_ptr<DiskFiller> filler;
    std::uintmax_t leave = 0;
    if (when == FullWhen::kBeforeTheRun) {
      // Anywhere from nothing to just short of what the preflight asks for.
      leave = std::uniform_int_distribution<std::uintmax_t>(0, need - 4096)(random);
      const auto problem = fill_filesystem(tiny / "other-program-data.bin", leave);
      REQUIRE_MESSAGE(problem.empty(), problem);
      REQUIRE(free_bytes(backups) < need);
    } else {
      REQUIRE_MESSAGE(free_bytes(backups) >= need, "the tmpfs is too small for this test");
      // The second writer leaves less than a copy needs, from nothing to
      // most of it: the copy gets part way, then the disk is full.
      leave = std::uniform_int_distribution<std::uintmax_t>(0, size * 9 / 10)(random);
      filler = DiskFiller::start({backups,
                                  tiny / "second-writer.bin",
                                  {when == FullWhen::kDuringPreCopy ? ".bak." : ".post."},
                                  leave},
                                 why_not);
      if (!filler) {
        WARN_MESSAGE(
            false, "SKIPPED: no fanotify permission events to fill the disk mid-copy: " << why_not);
        return;
      }
    }
    CAPTURE(leave);

    const auto disk_before = capture_folder(tiny);
    write_run_config(f, backups, retention_count, {"--seconds", "0.3"});
    const auto result = f.run();
    const auto disk_after = capture_folder(tiny);
    CAPTURE(result.out);
    CAPTURE(result.err);

    // The session ran, and ended clean.
    CHECK(result.exit_code == 0);
    REQUIRE(fs::exists(f.dir / "logs" / "latest.json"));
    const auto summary = f.latest_summary();
    CHECK(summary["outcome"] == "clean");
    CHECK(summary["engine"]["exit_code"] == 0);
    CHECK(f.engine_pid() > 0);
    CHECK_FALSE(sessions_ended_at(f.db()).empty());
    const auto& health = summary["db_health"];
    CAPTURE(health.dump(2));
    CHECK(health["integrity_check"] == "ok");
    CHECK(health["post_session_integrity"] == "ok");

    // The failures, named: the folder or file, the cause, the next step.
    const auto pre_error = health["pre_session_backup_error"];
    const auto post_error = health["post_session_backup_error"];
    std::set<std::string> new_backups, deleted_by_retention;
    const auto out_and_err = result.out + result.err;
    if (when == FullWhen::kDuringPostCopy) {
      CHECK(pre_error.is_null());
      REQUIRE(health["pre_session_backup"].is_string());
      const auto pre = health["pre_session_backup"].get<std::string>();
      new_backups.insert("backups/" + pre);
      const auto report = run_integrity_check(backups / pre, CheckMode::kFull);
      CHECK(report.ok());
      // The pre-backup succeeded, so bak retention ran, as it should.
      FolderState before_backups;
      for (const auto& [path, state] : disk_before) {
        if (path.rfind("backups/", 0) == 0) before_backups[path.substr(8)] = state;
      }
      for (const auto& name :
           retention_victims(before_backups, "live.db", "bak", retention_count)) {
        deleted_by_retention.insert("backups/" + name);
      }
    } else {
      CHECK(health["pre_session_backup"].is_null());
      REQUIRE(pre_error.is_string());
      const auto message = pre_error.get<std::string>();
      CHECK(contains(message, backups.string()));
      if (when == FullWhen::kBeforeTheRun) {
        CHECK(contains(message, "not enough free space in " + backups.string()));
      } else {
        CHECK(says_disk_full(message));
      }
      CHECK(says_free_some_space(message));
      CHECK(has_warning(health, "pre-session backup failed, continuing without it: " + message));
      CHECK(contains(out_and_err, message));
    }
    // The post-backup fails too: in its own copy, or at the preflight on a
    // disk still full from before.
    CHECK(health["post_session_backup"].is_null());
    REQUIRE(post_error.is_string());
    const auto post_message = post_error.get<std::string>();
    CHECK(contains(post_message, backups.string()));
    CHECK((when == FullWhen::kDuringPostCopy
               ? says_disk_full(post_message)
               : contains(post_message, "not enough free space in " + backups.string())));
    CHECK(says_free_some_space(post_message));
    CHECK(has_warning(health, "post-session backup failed: " + post_message));

    if (filler) {
      const auto fills = filler->fills();
      CHECK_MESSAGE(filler->problems().empty(), first_lines(filler->problems()));
      REQUIRE(fills.size() == 1);  // the disk really filled mid-copy
      CHECK(fills[0].free_after <= leave);
      CHECK(fills[0].free_after < size);
    }

    // Nothing partial anywhere, nothing deleted or changed but by the
    // retention of a backup that succeeded; the other program's file whole.
    std::set<std::string> may_come = new_backups;
    may_come.insert("second-writer.bin");
    const auto differences =
        folder_differences(disk_before, disk_after, deleted_by_retention, may_come);
    CHECK_MESSAGE(differences.empty(), first_lines(differences));
    CHECK(test::read_file(other_program) == "not the supervisor's " + std::to_string(seed));
    for (const auto& name : deleted_by_retention) CHECK_FALSE(disk_after.count(name));
    // Every file under a backup name is a whole backup that verifies.
    for (const auto& [path, state] : disk_after) {
      if (path.rfind("backups/", 0) != 0 || state.type != EntryType::kFile) continue;
      const auto name = path.substr(8);
      CAPTURE(name);
      CHECK(oracle_parse(name, "live.db").has_value());
      CHECK(run_integrity_check(backups / name, CheckMode::kQuick).ok());
    }
  }
}

}  // namespace

constexpr const char* kFullBeforeTheRun =
    "torture: disk full: a backup folder too full before the run fails both backups at the "
    "preflight, the session runs, old backups stay byte-identical";
constexpr const char* kFullDuringPreCopy =
    "torture: disk full: a disk that fills during the pre-session copy fails it with "
    "ENOSPC or SQLITE_FULL, leaves nothing partial, the session runs";
constexpr const char* kFullDuringPostCopy =
    "torture: disk full: a disk that fills during the post-session copy fails it with "
    "ENOSPC or SQLITE_FULL, leaves nothing partial, old post backups stay";

TEST_CASE(kFullBeforeTheRun) { run_disk_full(FullWhen::kBeforeTheRun, kFullBeforeTheRun); }

TEST_CASE(kFullDuringPreCopy) { run_disk_full(FullWhen::kDuringPreCopy, kFullDuringPreCopy); }

TEST_CASE(kFullDuringPostCopy) { run_disk_full(FullWhen::kDuringPostCopy, kFullDuringPostCopy); }
