// Continuity between sessions through the real binary: a run, then another
// program's write (or a restore, or a lost run), then the next run.

#include <signal.h>

#include <doctest/doctest.h>

#include <sstream>

#include "common/sqlite_db.hpp"
#include "support/run_fixture.hpp"

using namespace es;
using test::RunFixture;
namespace fs = std::filesystem;

namespace {

// Another program writes the DB between sessions: its own connection,
// closed again (its last close checkpoints the WAL into the main file).
void write_between_sessions(const fs::path& db) {
  auto connection = SqliteDb::open_owned(db, false);
  REQUIRE(connection.has_value());
  // Large enough to take new pages: the size changes too.
  REQUIRE(connection->execute("INSERT INTO t(payload) VALUES(printf('%.20000c', 'w'))",
                              "test write")
              .has_value());
}

std::vector<nlohmann::json> history_events(const RunFixture& f, const std::string& type) {
  std::vector<nlohmann::json> found;
  std::istringstream lines(test::read_file(f.dir / "live.db.supervisor-history.jsonl"));
  for (std::string line; std::getline(lines, line);) {
    if (line.empty()) continue;
    auto event = nlohmann::json::parse(line);
    if (event.value("event", "") == type) found.push_back(event);
  }
  return found;
}

test::CommandResult run_with(const RunFixture& f, const std::vector<std::string>& extra) {
  auto argv = f.run_argv();
  argv.insert(argv.end(), extra.begin(), extra.end());
  return test::run_command(argv, f.dir.path());
}

// One short run that ends normally, so a record of the DB at rest exists.
void first_run(RunFixture& f, const std::string& database_extra = "") {
  f.configure({"--seconds", "0.2"}, 10, database_extra);
  REQUIRE(f.run().exit_code == 0);
  CHECK(f.latest_summary()["db_health"]["continuity"] == "first_run");
  REQUIRE(history_events(f, "db_at_rest").size() == 1);
  fs::remove(f.marker());
}

}  // namespace

TEST_CASE("run: an untouched DB passes the continuity check without reading its content") {
  RunFixture f;
  first_run(f);
  const auto recorded = history_events(f, "db_at_rest")[0];
  CHECK(recorded["recorded_by"] == "run_end");
  CHECK(recorded["db"]["xxh3_128"].get<std::string>().size() == 32);
  CHECK(recorded["db"]["size"] == fs::file_size(f.db()));
  CHECK(f.run().exit_code == 0);
  const auto health = f.latest_summary()["db_health"];
  CHECK(health["continuity"] == "ok");
  CHECK(health["continuity_details"]["digest_read"] == false);
  CHECK(health["continuity_details"]["compared_with"]["recorded_by"] == "run_end");
}

TEST_CASE("run: a DB written by another program between sessions exits 65 changed_between_sessions, and the engine never starts") {
  RunFixture f;
  first_run(f);
  const auto backups_before = f.backups("bak").size();
  write_between_sessions(f.db());
  const auto result = f.run();
  CHECK(result.exit_code == 65);
  INFO(result.err);
  CHECK(result.err.find("The DB changed between sessions — session refused.") != std::string::npos);
  CHECK(result.err.find("size ") != std::string::npos);
  CHECK(result.err.find("content (xxh3_128)") != std::string::npos);
  CHECK(result.err.find("recorded: at the end of run ") != std::string::npos);
  // Both ways on, as commands that paste as they are.
  CHECK(result.err.find(test::supervisor_binary() + " run --config " + f.config().string() +
                        " --accept-changed-db") != std::string::npos);
  CHECK(result.err.find("to restore it: " + test::supervisor_binary() + " restore ") !=
        std::string::npos);
  CHECK_FALSE(fs::exists(f.marker()));
  CHECK(f.backups("bak").size() == backups_before);  // the gate and its backup never ran
  const auto summary = f.latest_summary();
  CHECK(summary["outcome"] == "aborted");
  CHECK(summary["halt_reason"] == "changed_between_sessions");
  CHECK(summary["supervisor"]["exit_code"] == 65);
  CHECK(summary["db_health"]["continuity"] == "changed_refused");
  CHECK(summary["db_health"]["integrity_check"] == "skipped");
  CHECK_FALSE(summary["db_health"]["continuity_details"]["differences"].empty());
  // A refusal records nothing: the next start refuses the same change.
  CHECK(f.run().exit_code == 65);
  CHECK_FALSE(fs::exists(f.marker()));
}

TEST_CASE("run: --accept-changed-db goes on with a changed DB, and the history and summary record it") {
  // ui.console: viewer: the run goes on in a detached process the viewer
  // starts, which must get the flag too.
  for (const std::string ui : {"", "ui:\n  console: viewer\n"}) {
    CAPTURE(ui);
    RunFixture f;
    first_run(f);
    f.configure({"--seconds", "0.2"}, 10, "", ui);
    write_between_sessions(f.db());
    const auto accepted = run_with(f, {"--accept-changed-db"});
    CHECK(accepted.exit_code == 0);
    CHECK(fs::exists(f.marker()));
    CHECK(accepted.err.find("accepted with --accept-changed-db") != std::string::npos);
    const auto health = f.latest_summary()["db_health"];
    CHECK(health["continuity"] == "changed_accepted");
    CHECK(health["continuity_details"]["accept_changed_db"] == true);
    const auto events = history_events(f, "db_change_accepted");
    REQUIRE(events.size() == 1);
    CHECK(events[0]["by"] == "--accept-changed-db");
    CHECK(events[0]["run_id"] == f.latest_summary()["run_id"]);
    CHECK_FALSE(events[0]["differences"].empty());
    // From then on the DB is as recorded again.
    fs::remove(f.marker());
    CHECK(f.run().exit_code == 0);
    CHECK(f.latest_summary()["db_health"]["continuity"] == "ok");
  }
}

TEST_CASE("run: with on_change_between_sessions: warn a changed DB is warned about loudly and the run goes on") {
  RunFixture f;
  first_run(f, "  on_change_between_sessions: warn\n");
  write_between_sessions(f.db());
  const auto result = f.run();
  CHECK(result.exit_code == 0);
  CHECK(fs::exists(f.marker()));
  CHECK(result.err.find("WARNING: the DB changed between sessions") != std::string::npos);
  const auto health = f.latest_summary()["db_health"];
  CHECK(health["continuity"] == "changed_warned");
  CHECK(health["continuity_details"]["on_change_between_sessions"] == "warn");
  REQUIRE_FALSE(health["warnings"].empty());
  CHECK(health["warnings"][0].get<std::string>().find("changed between sessions") !=
        std::string::npos);
  CHECK(history_events(f, "db_change_accepted")[0]["by"] == "on_change_between_sessions: warn");
}

TEST_CASE("run: after a restore through the supervisor the next run starts") {
  RunFixture f;
  first_run(f);
  write_between_sessions(f.db());
  REQUIRE(f.run().exit_code == 65);
  const auto restore = test::run_command({test::supervisor_binary(), "restore", "--latest",
                                          "--yes", "--config", f.config().string()},
                                         f.dir.path());
  REQUIRE(restore.exit_code == 0);
  const auto restored = history_events(f, "db_at_rest").back();
  CHECK(restored["recorded_by"] == "restore");
  CHECK(restored["backup"].get<std::string>().find((f.dir / "backups").string()) == 0);
  const auto next = f.run();
  CHECK(next.exit_code == 0);
  CHECK(fs::exists(f.marker()));
  const auto health = f.latest_summary()["db_health"];
  CHECK(health["continuity"] == "ok");
  CHECK(health["continuity_details"]["compared_with"]["recorded_by"] == "restore");
}

TEST_CASE("run: after a lost run (supervisor killed) the next start says no_record and goes on") {
  RunFixture f;
  first_run(f);
  // A run whose engine writes until its supervisor is killed with it.
  f.configure({"--interval-ms", "5"});
  test::ChildProcess lost(f.run_argv(), {f.dir.path()});
  REQUIRE(test::wait_until([&] { return fs::exists(f.marker()); }, 20));
  REQUIRE(test::wait_until([&] { return test::count_rows(f.db(), "orders") > 2; }, 20));
  const auto engine = static_cast<int>(f.engine_pid());
  lost.send(SIGKILL);
  lost.wait();
  REQUIRE(test::wait_until([&] { return !test::process_alive(engine); }, 5));
  fs::remove(f.marker());

  f.configure({"--seconds", "0.2"});
  const auto next = f.run();
  CHECK(next.exit_code == 0);
  CHECK(fs::exists(f.marker()));
  CHECK(next.err.find("nothing to compare the DB with") != std::string::npos);
  const auto health = f.latest_summary()["db_health"];
  CHECK(health["continuity"] == "no_record");
  CHECK(health["continuity_details"]["detail"].get<std::string>().find(
            "its supervisor was lost") != std::string::npos);
  CHECK(health["integrity_check"] == "ok");  // the gate alone decided
  // That run recorded the DB at rest again: the one after compares.
  fs::remove(f.marker());
  CHECK(f.run().exit_code == 0);
  CHECK(f.latest_summary()["db_health"]["continuity"] == "ok");
}
