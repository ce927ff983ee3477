// Retention's tiers and its handling of future stamps, on real backups in a
// real folder, with an injected "now". Portable: no POSIX calls (these also
// run under Wine).

#include "common/backup_retention.hpp"

#include <doctest/doctest.h>

#include <set>

#include "common/backup_store.hpp"
#include "support/temp_dir.hpp"
#include "support/test_db.hpp"

using namespace es;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

Clock::time_point at(const char* compact) {
  const auto when = parse_compact_stamp(compact);
  REQUIRE(when);
  return *when;
}

void set_modified(const fs::path& file, Clock::time_point when) {
  fs::last_write_time(file, std::chrono::time_point_cast<fs::file_time_type::duration>(
                                std::chrono::file_clock::from_sys(when)));
}

// A folder with a live DB and real backups of it under chosen names, each
// with the mtime a backup taken at its stamp has.
struct BackupFolder {
  test::TempDir dir;
  fs::path db = dir / "live.db";
  BackupStore store{db, dir.path()};

  explicit BackupFolder(int rows = 20) { test::make_db(db, rows); }

  // A real backup of the live DB as it is now, named `kind` at `stamp`,
  // last written at `modified` (default: just after its stamp).
  fs::path add(BackupKind kind, const char* stamp,
               std::optional<Clock::time_point> modified = std::nullopt) {
    auto taken = store.take(kind, {1000, 0, 0}, at(stamp));
    REQUIRE_MESSAGE(taken.has_value(), taken.error().message);
    set_modified(taken->file.path, modified.value_or(at(stamp) + 1s));
    return taken->file.path;
  }
};

}  // namespace

TEST_CASE("retention: a stamp is trusted unless later than now + 5 min or than its own mtime + 24 h") {
  const auto now = at("20260310T120000Z");
  const BackupName name{BackupKind::kPreSession, now, 1};
  const auto named = [&](Clock::time_point stamp) { return BackupName{name.kind, stamp, 1}; };

  SUBCASE("an ordinary backup: its stamp") {
    const auto dating = date_backup(named(now - 1h), now - 1h + 2s, now);
    CHECK_FALSE(dating.future_stamp);
    CHECK(dating.taken == now - 1h);
  }
  SUBCASE("a little ahead (a clock a few minutes fast): still trusted") {
    const auto dating = date_backup(named(now + 4min), now + 4min, now);
    CHECK_FALSE(dating.future_stamp);
    CHECK(dating.taken == now + 4min);
  }
  SUBCASE("beyond now + 5 min, written by the same fast clock: time unknown") {
    const auto dating = date_backup(named(at("20300101T000000Z")), at("20300101T000003Z"), now);
    CHECK(dating.future_stamp);
    CHECK_FALSE(dating.taken.has_value());
  }
  SUBCASE("beyond now + 5 min, last written in the past: dated by its mtime") {
    const auto dating = date_backup(named(at("20300101T000000Z")), now - 72h, now);
    CHECK(dating.future_stamp);
    CHECK(dating.taken == now - 72h);
  }
  SUBCASE("not in the future, but named a day after it was written: dated by its mtime") {
    const auto dating = date_backup(named(now - 1h), now - 26h, now);
    CHECK(dating.future_stamp);
    CHECK(dating.taken == now - 26h);
  }
  SUBCASE("no mtime: only the comparison with now") {
    CHECK_FALSE(date_backup(named(now - 1h), std::nullopt, now).future_stamp);
    CHECK(date_backup(named(now + 1h), std::nullopt, now).future_stamp);
  }
  SUBCASE("the last second the clock holds compares without wrapping round") {
    const auto last = *parse_compact_stamp("22620411T234716Z");
    CHECK(date_backup(named(last), now, now).future_stamp);
    CHECK_FALSE(date_backup(named(last), last, last).future_stamp);
  }
}

TEST_CASE("retention: tiers keep the newest of each recent UTC day and ISO week, across kinds, and never touch other files") {
  BackupFolder f;
  const auto a = f.add(BackupKind::kPreSession, "20250223T120000Z");   // Sun, ISO week 8
  const auto b = f.add(BackupKind::kPreSession, "20250301T120000Z");   // Sat, week 9
  const auto c = f.add(BackupKind::kPreSession, "20250302T235959Z");   // Sun, week 9
  const auto d = f.add(BackupKind::kPreSession, "20250303T000000Z");   // Mon, week 10
  const auto e = f.add(BackupKind::kPreSession, "20250303T000001Z");   // Mon
  const auto g = f.add(BackupKind::kPreSession, "20250304T100000Z");   // Tue
  const auto p = f.add(BackupKind::kPostSession, "20250304T120000Z");  // Tue, another kind
  const auto h = f.add(BackupKind::kPreSession, "20250305T080000Z");   // Wed
  const auto i = f.add(BackupKind::kPreSession, "20250305T090000Z");   // Wed

  // Files that are not this DB's backups, some under near-miss names, one a
  // folder under a backup name: retention never touches them.
  const std::set<std::string> decoys = {"other.db.bak.20250101T000000Z", "live.db.bak.notes.txt",
                                        "live.db.bak.20250101T000000Z.1234.tmp",
                                        "live.db.bak.20250101T000000Z-01", "live.db.baks",
                                        "live.db.bak.20250101T000000Z-journal"};
  for (const auto& decoy : decoys) test::write_file(f.dir / decoy, "decoy");
  fs::create_directory(f.dir / "live.db.bak.20250102T000000Z");
  for (const auto& decoy : decoys) set_modified(f.dir / decoy, at("20250101T000000Z"));

  const auto now = at("20250306T080000Z");  // Thu, week 10
  RetentionPolicy policy;
  std::set<fs::path> expected_kept;
  SUBCASE("newest 2 per kind, 3 days, 2 weeks") {
    policy = {2, 3, 2};
    // bak: the new one and i; post: p, also Tuesday's newest across kinds;
    // Wednesday: i; week 9: c, its Sunday (weeks start on Monday).
    expected_kept = {i, p, c};
  }
  SUBCASE("newest 1 per kind, 5 days: a day ends at midnight UTC") {
    policy = {1, 5, 0};
    // Thu: new, Wed: i, Tue: p, Mon: e (not d, a second earlier), Sun: c.
    expected_kept = {i, p, e, c};
  }
  SUBCASE("newest 1 per kind, 3 weeks") {
    policy = {1, 0, 3};
    // Week 10: new, week 9: c (not b), week 8: a.
    expected_kept = {p, c, a};
  }
  SUBCASE("tiers off: only the newest per kind") {
    policy = {2, 0, 0};
    expected_kept = {i, p};
  }

  auto taken = f.store.take(BackupKind::kPreSession, policy, now);
  REQUIRE_MESSAGE(taken.has_value(), taken.error().message);
  CHECK(taken->warnings.empty());
  expected_kept.insert(taken->file.path);

  std::set<fs::path> expected_deleted;
  for (const auto& backup : {a, b, c, d, e, g, p, h, i}) {
    if (!expected_kept.count(backup)) expected_deleted.insert(backup);
  }
  for (const auto& backup : expected_kept) {
    CAPTURE(backup);
    CHECK(fs::exists(backup));
  }
  for (const auto& backup : expected_deleted) {
    CAPTURE(backup);
    CHECK_FALSE(fs::exists(backup));
  }
  // Each deletion is reported with its kind, when it was taken and its age.
  std::set<fs::path> reported;
  for (const auto& deleted : taken->deleted) {
    CAPTURE(deleted.path);
    reported.insert(deleted.path);
    const auto name = parse_backup_name(deleted.path.filename().string(), "live.db");
    REQUIRE(name);
    CHECK(deleted.kind == BackupKind::kPreSession);
    CHECK(deleted.taken == name->stamp);
    CHECK(deleted.age == std::chrono::floor<std::chrono::seconds>(now - name->stamp));
  }
  CHECK(reported == expected_deleted);
  CHECK(taken->deleted.size() == expected_deleted.size());

  for (const auto& decoy : decoys) {
    CAPTURE(decoy);
    CHECK(test::read_file(f.dir / decoy) == "decoy");
  }
  CHECK(fs::is_directory(f.dir / "live.db.bak.20250102T000000Z"));
  CHECK(fs::exists(f.db));
}

TEST_CASE("retention: an ISO week spans the new year: Monday 30 December and 1 January are one week") {
  BackupFolder f;
  const auto sunday = f.add(BackupKind::kPreSession, "20241229T230000Z");   // 2024-W52
  const auto monday = f.add(BackupKind::kPreSession, "20241230T010000Z");   // 2025-W01
  const auto new_year = f.add(BackupKind::kManual, "20250101T100000Z");     // 2025-W01
  auto taken = f.store.take(BackupKind::kPreSession, {1, 0, 2}, at("20250103T120000Z"));
  REQUIRE(taken.has_value());
  CHECK(fs::exists(sunday));    // newest of 2024-W52
  CHECK_FALSE(fs::exists(monday));
  CHECK(fs::exists(new_year));  // a manual backup: newest of its kind, never bak's to delete
  REQUIRE(taken->deleted.size() == 1);
  CHECK(taken->deleted[0].path == monday);
}

TEST_CASE("retention: a backup stamped 2030 does not displace newer ones, is never deleted, and is warned about") {
  BackupFolder f(40);  // the 2030 backup holds the oldest data: 40 rows
  const auto now = at("20260310T120000Z");
  std::optional<Clock::time_point> modified;
  bool time_known = true;
  bool listed_first = false;
  SUBCASE("written by the same fast clock: its mtime is 2030 too") {
    modified = at("20300101T000002Z");
    time_known = false;
  }
  SUBCASE("its mtime says when it was really written") {
    modified = at("20260301T080000Z");
  }
  SUBCASE("copied in just now: its mtime is the newest of all, its data is not") {
    modified = now + 1min;
    listed_first = true;
  }
  const auto ahead = f.add(BackupKind::kPreSession, "20300101T000000Z", modified);
  test::make_db(f.db, 60);
  const auto older = f.add(BackupKind::kPreSession, "20260308T120000Z");  // 100 rows
  test::make_db(f.db, 50);
  const auto newer = f.add(BackupKind::kPreSession, "20260309T120000Z");  // 150 rows
  test::make_db(f.db, 50);                                                // 200 rows live

  auto taken = f.store.take(BackupKind::kPreSession, {2, 0, 0}, now);
  REQUIRE(taken.has_value());
  // The new one and the really newest before it; the 2030 one on top.
  CHECK(fs::exists(taken->file.path));
  CHECK(fs::exists(newer));
  CHECK(fs::exists(ahead));
  CHECK_FALSE(fs::exists(older));
  REQUIRE(taken->deleted.size() == 1);
  CHECK(taken->deleted[0].path == older);
  REQUIRE(taken->warnings.size() == 1);
  CHECK(taken->warnings[0].find(ahead.string()) != std::string::npos);
  CHECK(taken->warnings[0].find("stamped 2030-01-01T00:00:00Z") != std::string::npos);

  // Listed by when the data was taken: by its mtime if that is plausible,
  // else last.
  const auto listed = f.store.list(now);
  const std::vector<fs::path> expected_order =
      listed_first ? std::vector{ahead, taken->file.path, newer}
                   : std::vector{taken->file.path, newer, ahead};
  REQUIRE(listed.size() == 3);
  for (std::size_t k = 0; k < listed.size(); ++k) {
    CAPTURE(k);
    CHECK(listed[k].path == expected_order[k]);
    CHECK(listed[k].dating.future_stamp == (listed[k].path == ahead));
  }
  CHECK(f.store.list(now)[listed_first ? 0 : 2].dating.taken.has_value() == time_known);

  // restore --latest's choice: the really newest backup that verifies,
  // never the anomaly while another one verifies.
  const auto latest = f.store.newest_verified(CheckMode::kFull, now);
  REQUIRE(latest);
  CHECK(latest->file.path == taken->file.path);
  CHECK(test::count_rows(latest->file.path) == 200);

  // Even when the newer backups are gone, a later retention keeps it.
  auto again = f.store.take(BackupKind::kPreSession, {1, 0, 0}, now + 1h);
  REQUIRE(again.has_value());
  CHECK(fs::exists(ahead));
  CHECK(test::count_rows(ahead) == 40);
}

TEST_CASE("retention: describe_age reads at a glance") {
  CHECK(describe_age(41s) == "41 s");
  CHECK(describe_age(2min + 5s) == "2 min 05 s");
  CHECK(describe_age(2h + 5min) == "2 h 05 min");
  CHECK(describe_age(std::chrono::days(3) + 4h + 59min) == "3 d 04 h");
  CHECK(describe_age(-5s) == "0 s");
}
