// Issue 11, item 2, through the real binary: a DB in rollback (DELETE)
// journal mode whose writer crashed and left a hot `live.db-journal`. On
// f343d74 the gate said SQLITE_READONLY and advised a restore. Now `check`
// reports the journal and changes nothing, and `run` sets a copy of the DB
// and the journal aside, rolls the journal back, checks the result, records
// what it did, and starts the engine on the committed state.

#include <signal.h>

#include <doctest/doctest.h>

#include "common/integrity_check.hpp"
#include "support/run_fixture.hpp"

using namespace es;
using test::RunFixture;
namespace fs = std::filesystem;

namespace {

using test::side;

std::vector<fs::path> evidence_folders(const RunFixture& f) {
  std::vector<fs::path> found;
  for (const auto& entry : fs::directory_iterator(f.dir / "backups")) {
    if (entry.path().filename().string().rfind("live.db.evidence.", 0) == 0) {
      found.push_back(entry.path());
    }
  }
  return found;
}

std::vector<nlohmann::json> history_events(const RunFixture& f, const std::string& type) {
  std::vector<nlohmann::json> events;
  const auto text = test::read_file(f.dir / "live.db.supervisor-history.jsonl");
  for (std::size_t start = 0; start < text.size();) {
    auto end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    auto event = nlohmann::json::parse(text.substr(start, end - start), nullptr, false);
    if (!event.is_discarded() && event.value("event", "") == type) events.push_back(event);
    start = end + 1;
  }
  return events;
}

// The fixture's DB (200 committed rows in `t`) with a crashed writer's
// uncommitted 2000 rows spilled into it and their pages' originals in a hot
// journal.
struct CrashedWriter {
  std::string db_bytes, journal_bytes;
  explicit CrashedWriter(const RunFixture& f) {
    test::leave_hot_journal(f.db(), 2000);
    db_bytes = test::read_file(f.db());
    journal_bytes = test::read_file(side(f.db(), "-journal"));
    REQUIRE(!journal_bytes.empty());
  }
};

}  // namespace

TEST_CASE("issue 11.2: `check` reports a hot journal and what `run` will do, and changes no file") {
  RunFixture f;
  f.configure({"--seconds", "0.2"});
  const CrashedWriter crashed(f);
  const auto before = test::folder_contents(f.dir.path());
  const auto printed = test::run_command(
      {test::supervisor_binary(), "check", "--config", f.config().string()}, f.dir.path());
  CHECK(printed.exit_code == 0);
  CHECK(printed.out == "ok\n");
  CHECK(printed.err.find("hot rollback journal: " + side(f.db(), "-journal").string()) !=
        std::string::npos);
  CHECK(printed.err.find("`run` first copies the DB and the journal into " +
                         (f.dir / "backups" / "live.db.evidence.<stamp>").string()) !=
        std::string::npos);
  const auto json = test::run_command(
      {test::supervisor_binary(), "check", "--json", "--config", f.config().string()},
      f.dir.path());
  CHECK(json.exit_code == 0);
  const auto out = nlohmann::json::parse(json.out);
  REQUIRE(out["hot_journal"].is_object());
  CHECK(out["hot_journal"]["journal"] == "live.db-journal");
  CHECK(out["hot_journal"]["journal_bytes"] == crashed.journal_bytes.size());
  CHECK(out["hot_journal"]["header_valid"] == true);
  auto after = test::folder_contents(f.dir.path());
  CHECK(after.erase("logs") == 1);  // check's own log folder, and nothing else new
  CHECK(after == before);
  CHECK(evidence_folders(f).empty());
}

TEST_CASE("issue 11.2: `run` sets the DB and its hot journal aside, rolls the journal back, checks, records it, and runs") {
  RunFixture f;
  f.configure({"--seconds", "0.2", "--interval-ms", "5"});
  const CrashedWriter crashed(f);

  const auto result = f.run();
  CAPTURE(result.err);
  REQUIRE(result.exit_code == 0);
  // The rows of the crashed transaction are gone; the committed ones remain.
  CHECK_FALSE(fs::exists(side(f.db(), "-journal")));
  CHECK(test::count_rows(f.db()) == 200);
  CHECK(test::uncommitted_rows(f.db()) == 0);
  CHECK(test::count_rows(f.db(), "orders") > 0);  // and the engine ran on it
  CHECK(run_integrity_check(f.db(), CheckMode::kQuick).ok());
  // The forensic copy holds the DB and the journal as the crash left them.
  const auto folders = evidence_folders(f);
  REQUIRE(folders.size() == 1);
  CHECK(test::folder_contents(folders[0]) ==
        std::map<std::string, std::string>{{"live.db", crashed.db_bytes},
                                           {"live.db-journal", crashed.journal_bytes}});
  // The gate checked the rolled-back DB, and the pre-session backup is of it.
  const auto summary = f.latest_summary();
  const auto& health = summary["db_health"];
  CHECK(health["integrity_check"] == "ok");
  REQUIRE(health["pre_session_backup"].is_string());
  const auto pre = f.dir / "backups" / health["pre_session_backup"].get<std::string>();
  CHECK(test::count_rows(pre) == 200);
  CHECK(test::uncommitted_rows(pre) == 0);
  // Recorded: db_health, a loud warning naming the files and the copy, the history.
  REQUIRE(health["hot_journal"].is_object());
  CHECK(health["hot_journal"]["rolled_back"] == true);
  CHECK(health["hot_journal"]["journal"] == "live.db-journal");
  CHECK(health["hot_journal"]["journal_bytes"] == crashed.journal_bytes.size());
  CHECK(health["hot_journal"]["db_bytes"] == crashed.db_bytes.size());
  CHECK(health["hot_journal"]["evidence_folder"] == folders[0].string());
  std::string warnings;
  for (const auto& w : health["warnings"]) warnings += w.get<std::string>() + "\n";
  CHECK(warnings.find("hot rollback journal rolled back: " + side(f.db(), "-journal").string()) !=
        std::string::npos);
  CHECK(warnings.find(folders[0].string()) != std::string::npos);
  CHECK(result.err.find("warning: hot rollback journal rolled back") != std::string::npos);
  const auto events = history_events(f, "hot_journal_rolled_back");
  REQUIRE(events.size() == 1);
  CHECK(events[0]["run_id"] == summary["run_id"]);
  CHECK(events[0]["hot_journal"]["evidence_folder"] == folders[0].string());
  CHECK(events[0].contains("db"));
}

TEST_CASE("issue 11.2: a run that stops after the rollback leaves a record the next start agrees with") {
  RunFixture f;
  const CrashedWriter crashed(f);
  // The engine cannot start: the run aborts after the rollback and the gate,
  // and records no DB at rest of its own.
  test::write_file(f.config(), "database:\n  path: live.db\n  backup_dir: backups\n"
                               "engine:\n  command: [\"/nonexistent/engine\"]\n"
                               "summary:\n  dir: logs\nlogging:\n  dir: logs\n");
  const auto aborted = f.run();
  CAPTURE(aborted.err);
  CHECK(aborted.exit_code == 69);
  CHECK(f.latest_summary()["db_health"]["hot_journal"]["rolled_back"] == true);
  CHECK_FALSE(fs::exists(side(f.db(), "-journal")));

  f.configure({"--seconds", "0.2"});
  const auto next = f.run();
  CAPTURE(next.err);
  CHECK(next.exit_code == 0);
  const auto health = f.latest_summary()["db_health"];
  CHECK(health["continuity"] == "ok");
  CHECK(health["continuity_details"]["detail"].get<std::string>().find(
            "rolled back a hot journal") != std::string::npos);
  CHECK(health["hot_journal"].is_null());
  CHECK(evidence_folders(f).size() == 1);
}

TEST_CASE("issue 11.2: a hot journal another process has open is not rolled back: 75, and nothing changes") {
  RunFixture f;
  f.configure({"--seconds", "0.2"});
  const CrashedWriter crashed(f);
  // A process holding the journal, as a live writer in its transaction would.
  test::ChildProcess holder(
      {"/bin/sh", "-c", "exec 3<'" + side(f.db(), "-journal").string() + "'; exec sleep 60"});
  REQUIRE(test::wait_until(
      [&] {
        return fs::exists("/proc/" + std::to_string(holder.pid()) + "/fd/3") &&
               test::read_file("/proc/" + std::to_string(holder.pid()) + "/comm") == "sleep\n";
      },
      10));
  const auto refused = f.run();
  CAPTURE(refused.err);
  CHECK(refused.exit_code == 75);
  CHECK(refused.err.find("it may be a live writer's transaction, so it was not rolled back") !=
        std::string::npos);
  CHECK(refused.err.find("pid " + std::to_string(holder.pid())) != std::string::npos);
  const auto summary = f.latest_summary();
  CHECK(summary["halt_reason"] == "db_open_elsewhere");
  CHECK(summary["db_health"]["hot_journal"]["rolled_back"] == false);
  CHECK(test::read_file(f.db()) == crashed.db_bytes);
  CHECK(test::read_file(side(f.db(), "-journal")) == crashed.journal_bytes);
  CHECK(evidence_folders(f).empty());
  CHECK_FALSE(fs::exists(f.marker()));  // the engine never started
  holder.send(SIGKILL);
  holder.wait();
}
