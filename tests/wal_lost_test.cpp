// The incident this product exists for, end to end on real files and the
// real binary: committed transactions in a -wal that was then lost, beside
// a -shm that still records them.

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "common/run_history.hpp"
#include "support/run_fixture.hpp"
#include "support/temp_dir.hpp"
#include "support/test_db.hpp"

namespace es {
namespace fs = std::filesystem;
using test::TempDir;

namespace {

using test::side;

// 100 rows in the main file, 300 more committed only into the -wal by a
// killed engine; with `lose_wal`, that -wal then truncated to nothing.
void killed_engine_state(const fs::path& db, bool lose_wal) {
  test::make_db(db, 100);
  test::commit_in_wal_only(db, 300, 3);
  if (lose_wal) test::truncate_to(side(db, "-wal"), 0);
}

struct CommandsFolder {
  TempDir dir;
  fs::path data = dir / "data";
  fs::path db = data / "live.db";
  CommandsFolder() { fs::create_directories(data); }
  test::CommandResult run(std::vector<std::string> args) const {
    args.insert(args.begin(), test::supervisor_binary());
    args.push_back("--db");
    args.push_back(db.string());
    return test::run_command(args, dir.path());
  }
};

}  // namespace

TEST_CASE("wal lost: `check` exits 65 with the frames lost, and --json has the figures") {
  CommandsFolder f;
  killed_engine_state(f.db, true);
  const auto before = test::folder_contents(f.data);

  const auto text = f.run({"check"});
  CHECK(text.exit_code == 65);
  CHECK(text.err.find("Committed transactions are missing") != std::string::npos);
  CHECK(text.err.find("frames (about") != std::string::npos);
  CHECK(text.err.find("last seen") != std::string::npos);
  CHECK(text.err.find("--accept-data-loss") != std::string::npos);

  const auto json_run = f.run({"check", "--json"});
  CHECK(json_run.exit_code == 65);
  const auto json = nlohmann::json::parse(json_run.out);
  CHECK(json["result"] == "wal_lost");
  CHECK(json["wal_evidence"]["verdict"] == "lost");
  CHECK(json["wal_evidence"]["frames_lost"].get<int>() > 3);
  CHECK(json["wal_evidence"]["shm"]["mxframe"] == json["wal_evidence"]["frames_lost"]);
  // The evidence is still there, byte for byte.
  CHECK(test::folder_contents(f.data) == before);
}

TEST_CASE("wal lost: check, backups, snapshot and restore --dry-run change no file beside the DB") {
  CommandsFolder f;
  test::make_db(f.db, 100);
  REQUIRE(f.run({"backup"}).exit_code == 0);  // something for backups and restore to list
  test::commit_in_wal_only(f.db, 300, 3);
  bool lost = false;
  SUBCASE("a healthy WAL with frames") {}
  SUBCASE("the lost-WAL state") {
    test::truncate_to(side(f.db, "-wal"), 0);
    lost = true;
  }
  SUBCASE("a -wal with frames and no -shm") { fs::remove(side(f.db, "-shm")); }
  const auto before = test::folder_contents(f.data);

  CHECK(f.run({"check"}).exit_code == (lost ? 65 : 0));
  CHECK(f.run({"check", "--quick", "--json"}).exit_code == (lost ? 65 : 0));
  CHECK(f.run({"backups"}).exit_code == 0);
  CHECK(f.run({"backups", "--json"}).exit_code == 0);
  const auto snapshot = f.run({"snapshot", (f.dir / "copy.db").string()});
  CHECK(snapshot.exit_code == 0);
  CHECK(test::count_rows(f.dir / "copy.db") == (lost ? 100 : 400));
  const auto dry = f.run({"restore", "--latest", "--dry-run"});
  CHECK(dry.exit_code == 0);
  CHECK(dry.err.find("nothing was changed") != std::string::npos);
  CHECK(test::folder_contents(f.data) == before);
}

TEST_CASE("wal lost: `run` refuses with 65, wal_lost, and never starts the engine") {
  test::RunFixture f;
  f.configure({"--interval-ms", "20", "--seconds", "0.3"});
  killed_engine_state(f.db(), true);
  const auto shm = test::read_file(side(f.db(), "-shm"));

  const auto result = f.run();
  CHECK(result.exit_code == 65);
  CHECK_FALSE(fs::exists(f.marker()));
  CHECK(result.err.find("--accept-data-loss") != std::string::npos);
  const auto summary = f.latest_summary();
  CHECK(summary["outcome"] == "aborted");
  CHECK(summary["halt_reason"] == "wal_lost");
  CHECK(summary["db_health"]["wal_evidence"]["verdict"] == "lost");
  CHECK(summary["db_health"]["wal_evidence"]["cause"] == "the -wal is 0 bytes");
  // No pre-session backup of the stale DB, and the evidence untouched.
  CHECK(f.backups("bak").empty());
  CHECK(test::read_file(side(f.db(), "-shm")) == shm);
  CHECK(fs::file_size(side(f.db(), "-wal")) == 0);
}

TEST_CASE("wal lost: `run --accept-data-loss` goes on, records it, and keeps the evidence") {
  test::RunFixture f;
  f.configure({"--interval-ms", "20", "--seconds", "0.3"});
  killed_engine_state(f.db(), true);
  const auto shm = test::read_file(side(f.db(), "-shm"));

  auto argv = f.run_argv();
  argv.push_back("--accept-data-loss");
  const auto result = test::run_command(argv, f.dir.path());
  CHECK(result.exit_code == 0);
  CHECK(fs::exists(f.marker()));
  const auto summary = f.latest_summary();
  const auto& evidence = summary["db_health"]["wal_evidence"];
  CHECK(evidence["verdict"] == "lost");
  CHECK(evidence["accepted"] == true);
  const fs::path folder = evidence["evidence_folder"].get<std::string>();
  CHECK(test::read_file(folder / "live.db-shm") == shm);
  CHECK(fs::exists(folder / "live.db-wal"));
  bool warned = false;
  for (const auto& w : summary["db_health"]["warnings"]) {
    warned = warned || w.get<std::string>().find("data loss accepted") != std::string::npos;
  }
  CHECK(warned);
  const auto history = RunHistory(RunHistory::path_for(f.db())).load();
  bool recorded = false;
  for (const auto& event : history.other_events) {
    recorded = recorded || (event["event"] == "data_loss_accepted" &&
                            event["evidence_folder"] == folder.string());
  }
  CHECK(recorded);
  // Accepted once: the next run starts without the flag.
  CHECK(f.run().exit_code == 0);
}

TEST_CASE("wal intact: a killed engine's -wal is read through, and the run goes on") {
  test::RunFixture f;
  f.configure({"--interval-ms", "20", "--seconds", "0.3"});
  killed_engine_state(f.db(), false);
  const auto result = f.run();
  CHECK(result.exit_code == 0);
  const auto summary = f.latest_summary();
  CHECK(summary["db_health"]["wal_evidence"]["verdict"] == "intact");
  CHECK(summary["db_health"]["integrity_check"] == "ok");
}

}  // namespace es
