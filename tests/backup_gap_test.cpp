#include "common/backup_gap.hpp"

#include <doctest/doctest.h>

#include "support/temp_dir.hpp"
#include "support/test_db.hpp"

using namespace es;
namespace fs = std::filesystem;

namespace {

Clock::time_point at(const char* iso) { return *parse_iso8601_utc(iso); }

// A run as the history folds it: started, its engine started (or not), ended.
// (std::string parameters, moved in: assigning a const char* to a member
// trips g++ 12's -Wrestrict false positive in mingw's Release build.)
RunRecord run(std::string id, std::string started, std::optional<std::string> engine_started,
              std::optional<std::string> ended, std::string outcome) {
  RunRecord record;
  record.run_id = std::move(id);
  record.started_at = std::move(started);
  if (engine_started) record.engine_pid = 100;
  record.engine_started_at = std::move(engine_started);
  record.ended_at = std::move(ended);
  record.outcome = std::move(outcome);
  return record;
}

std::vector<std::string> ids(const std::vector<RunAfterBackup>& runs) {
  std::vector<std::string> out;
  for (const auto& r : runs) out.push_back(r.run_id + (r.partly ? " partly" : ""));
  return out;
}

}  // namespace

TEST_CASE("backup gap: a manual backup lacks the runs whose engine started after it, and part of the one running then") {
  const std::vector<RunRecord> runs = {
      run("R0", "2026-04-22T16:00:00Z", "2026-04-22T16:00:02Z", "2026-04-22T16:30:00Z", "clean"),
      run("R1", "2026-04-22T17:00:00Z", "2026-04-22T17:00:03Z", "2026-04-22T17:05:00Z", "clean"),
      run("A", "2026-04-22T17:06:00Z", std::nullopt, "2026-04-22T17:06:01Z", "aborted"),
      run("R2", "2026-04-22T17:10:00Z", "2026-04-22T17:10:02Z", "2026-04-22T17:20:00Z", "unclean"),
  };
  // Taken while R1's engine ran: R0 is all in it, R1 in part, A wrote nothing.
  CHECK(ids(runs_after_backup(at("2026-04-22T17:01:10Z"), BackupKind::kManual,
                              "live.db.manual.20260422T170110Z", runs)) ==
        std::vector<std::string>{"R1 partly", "R2"});
  // Taken between R1 and R2.
  CHECK(ids(runs_after_backup(at("2026-04-22T17:07:00Z"), BackupKind::kManual,
                              "live.db.manual.20260422T170700Z", runs)) ==
        std::vector<std::string>{"R2"});
  // A file of unknown origin is judged the same way.
  CHECK(ids(runs_after_backup(at("2026-04-22T17:01:10Z"), std::nullopt, "copy.db", runs)) ==
        std::vector<std::string>{"R1 partly", "R2"});
}

TEST_CASE("backup gap: a pre- or post-session backup is placed by the run that took it, even within its second") {
  // Everything in one second: a tiny DB, a short session, a fast next start.
  auto r1 = run("R1", "2026-04-22T17:01:10Z", "2026-04-22T17:01:10Z", "2026-04-22T17:01:10Z", "clean");
  r1.started = {{"pre_session_backup", "live.db.bak.20260422T170110Z"}};
  r1.post_session_backup = "live.db.post.20260422T170110Z";
  auto r2 = run("R2", "2026-04-22T17:01:10Z", "2026-04-22T17:01:10Z", "2026-04-22T17:01:11Z", "unclean");
  r2.started = {{"pre_session_backup", "live.db.bak.20260422T170110Z-2"}};
  const std::vector<RunRecord> runs = {r1, r2};
  const auto stamp = at("2026-04-22T17:01:10Z");
  CHECK(ids(runs_after_backup(stamp, BackupKind::kPreSession, "live.db.bak.20260422T170110Z", runs)) ==
        std::vector<std::string>{"R1", "R2"});
  CHECK(ids(runs_after_backup(stamp, BackupKind::kPostSession, "live.db.post.20260422T170110Z", runs)) ==
        std::vector<std::string>{"R2"});
  CHECK(ids(runs_after_backup(stamp, BackupKind::kPreSession, "live.db.bak.20260422T170110Z-2", runs)) ==
        std::vector<std::string>{"R2"});
}

TEST_CASE("backup gap: the plan's line names the runs and their outcomes") {
  BackupGap gap;
  gap.taken = at("2026-04-22T17:01:10Z");
  gap.history_found = true;
  gap.runs = {{"R1", "clean", false}, {"R2", "unclean", false}};
  CHECK(gap.describe() ==
        "taken 2026-04-22T17:01:10Z; runs since then: R1 clean, R2 unclean; their writes are not in it");
  gap.runs = {{"R1", "clean", true}};
  CHECK(gap.describe() ==
        "taken 2026-04-22T17:01:10Z; runs since then: R1 clean (running when it was taken); its "
        "writes are not in it");
  gap.runs.clear();
  CHECK(gap.describe() == "taken 2026-04-22T17:01:10Z; no supervised run has started the engine since then");
  // Issue 13.1: how much older than the DB's last write it is.
  gap.db_last_written = at("2026-04-22T17:03:20Z");
  CHECK(gap.describe().rfind("taken 2026-04-22T17:01:10Z, 2 min 10 s before the DB was last written "
                             "(2026-04-22T17:03:20Z); no supervised run",
                             0) == 0);
  gap.history_found = false;
  CHECK(gap.describe().find("no run history") != std::string::npos);
}

TEST_CASE("issue 13.1: an in-session backup lacks the rest of the run it was taken in, and the runs after") {
  auto r1 = run("R1", "2026-04-22T17:00:00Z", "2026-04-22T17:00:01Z", "2026-04-22T18:00:00Z", "unclean");
  auto r2 = run("R2", "2026-04-22T18:05:00Z", "2026-04-22T18:05:01Z", "2026-04-22T19:00:00Z", "clean");
  const auto gap = runs_after_backup(at("2026-04-22T17:30:00Z"), BackupKind::kLive,
                                     "live.db.live.20260422T173000Z", {r1, r2});
  REQUIRE(gap.size() == 2);
  CHECK(gap[0].run_id == "R1");
  CHECK(gap[0].partly);
  CHECK(gap[1].run_id == "R2");
  CHECK_FALSE(gap[1].partly);
}

TEST_CASE("backup gap: a stamp in the future is said, not taken to mean nothing came after") {
  test::TempDir dir;
  test::make_db(dir / "live.db", 10);
  const auto backup = dir / "live.db.bak.20300101T000000Z";
  fs::copy_file(dir / "live.db", backup);
  const auto gap = find_backup_gap(dir / "live.db", backup, at("2026-04-22T17:01:10Z"));
  CHECK(gap.stamp_in_future);
  CHECK(gap.describe().find("in the future") != std::string::npos);
}
