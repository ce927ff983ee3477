// One self-contained file at rest (issue 10, item 3), through the real binary
// and the real demo engine: after the engine exits, however it exits, the
// supervisor folds the WAL into the main file, unless the post-session check
// failed or another process still holds the DB.

#include <signal.h>

#include <doctest/doctest.h>

#include "common/sqlite_db.hpp"
#include "support/run_fixture.hpp"

using namespace es;
using test::RunFixture;
namespace fs = std::filesystem;

namespace {

using test::side;

struct Orders {
  std::int64_t count = -1;
  std::int64_t max_id = -1;
};

// The engine's orders as the main file alone holds them: a copy of just
// that file, in a folder of its own, as a sync tool or a `cp` would take it.
Orders orders_in_main_file_alone(const fs::path& db) {
  const test::TempDir alone;
  fs::copy_file(db, alone / "copy.db");
  auto copy = SqliteDb::open_read_only(alone / "copy.db");
  REQUIRE(copy.has_value());
  const auto count = copy->query_int("SELECT count(*) FROM orders", "count");
  const auto max_id = copy->query_int("SELECT max(id) FROM orders", "max");
  REQUIRE(count.has_value());
  REQUIRE(max_id.has_value());
  return {*count, *max_id};
}

// The transactions the engine reported committed ("committed txn <id>", each
// printed after its COMMIT returned), as the session log recorded them.
std::vector<std::int64_t> committed_in_log(const nlohmann::json& summary) {
  const auto log = test::read_file(summary["supervisor"]["log_file"].get<std::string>());
  std::vector<std::int64_t> ids;
  const std::string marker = "committed txn ";
  for (auto at = log.find(marker); at != std::string::npos; at = log.find(marker, at + 1)) {
    ids.push_back(std::stoll(log.substr(at + marker.size())));
  }
  return ids;
}

std::vector<std::string> at_rest_names(const nlohmann::json& health) {
  std::vector<std::string> names;
  for (const auto& file : health.at("at_rest")) names.push_back(file.at("file"));
  return names;
}

std::string all_warnings(const nlohmann::json& health) {
  std::string text;
  for (const auto& warning : health.at("warnings")) text += warning.get<std::string>() + "\n";
  return text;
}

// The DB as one file: no -wal or -shm, at_rest naming only it with its size,
// still in WAL mode, and every transaction the engine reported committed in
// the main file read alone.
void check_self_contained(const RunFixture& f, const nlohmann::json& summary) {
  const auto& health = summary["db_health"];
  CAPTURE(health.dump());
  CHECK_FALSE(fs::exists(side(f.db(), "-wal")));
  CHECK_FALSE(fs::exists(side(f.db(), "-shm")));
  REQUIRE(health.contains("at_rest"));
  CHECK(at_rest_names(health) == std::vector<std::string>{"live.db"});
  CHECK(health["at_rest"][0]["bytes"] == fs::file_size(f.db()));
  CHECK(static_cast<unsigned char>(test::read_file(f.db()).at(19)) == 2);  // WAL mode kept
  const auto committed = committed_in_log(summary);
  REQUIRE(committed.size() > 2);
  const auto orders = orders_in_main_file_alone(f.db());
  // A kill can fall between a COMMIT and its line: at least every reported one.
  CHECK(orders.count >= static_cast<std::int64_t>(committed.size()));
  CHECK(orders.max_id >= committed.back());
}

std::unique_ptr<test::ChildProcess> start_long_run(RunFixture& f) {
  f.configure({"--interval-ms", "5"});
  auto child = std::make_unique<test::ChildProcess>(f.run_argv(),
                                                    test::ChildProcess::Options{f.dir.path()});
  REQUIRE(test::wait_until([&] { return fs::exists(f.marker()); }, 20));
  REQUIRE(test::wait_until([&] { return test::count_rows(f.db(), "orders") > 20; }, 20));
  return child;
}

}  // namespace

TEST_CASE("at rest: after a clean run the DB is one file: no -wal or -shm, every committed row in the main file") {
  RunFixture f;
  SUBCASE("the engine closes its connection (its close checkpoints; the fold finds 0 frames)") {
    f.configure({"--seconds", "0.3", "--interval-ms", "5"});
    REQUIRE(f.run().exit_code == 0);
    const auto summary = f.latest_summary();
    CHECK(summary["outcome"] == "clean");
    REQUIRE(summary["db_health"].contains("wal_frames_checkpointed"));
    CHECK(summary["db_health"]["wal_frames_checkpointed"] == 0);
    check_self_contained(f, summary);
  }
  SUBCASE("the engine exits 0 with its connection open (the frames stay in the -wal until the fold)") {
    f.configure({"--seconds", "0.3", "--interval-ms", "5", "--exit-without-closing-db"});
    REQUIRE(f.run().exit_code == 0);
    const auto summary = f.latest_summary();
    CHECK(summary["outcome"] == "clean");
    REQUIRE(summary["db_health"].contains("wal_frames_checkpointed"));
    CHECK(summary["db_health"]["wal_frames_checkpointed"].get<std::int64_t>() > 0);
    check_self_contained(f, summary);
    // The post-session backup was taken before the fold, and holds the same.
    REQUIRE(f.backups("post").size() == 1);
    CHECK(test::count_rows(f.backups("post")[0], "orders") ==
          orders_in_main_file_alone(f.db()).count);
  }
}

TEST_CASE("at rest: after the engine is killed with SIGKILL mid-writes, the WAL is folded into the main file") {
  RunFixture f;
  auto run = start_long_run(f);
  REQUIRE(fs::file_size(side(f.db(), "-wal")) > 0);
  kill(static_cast<pid_t>(f.engine_pid()), SIGKILL);
  CHECK(run->wait().exit_code == 1);
  const auto summary = f.latest_summary();
  CHECK(summary["halt_reason"] == "signal:SIGKILL");
  CHECK(summary["db_health"]["post_session_integrity"] == "ok");
  REQUIRE(summary["db_health"].contains("wal_frames_checkpointed"));
  CHECK(summary["db_health"]["wal_frames_checkpointed"].get<std::int64_t>() > 0);
  check_self_contained(f, summary);
}

TEST_CASE("at rest: a post-session check that fails folds nothing and leaves the -wal and -shm as evidence") {
  RunFixture f;
  auto run = start_long_run(f);
  // A page of the fixture's table `t`, which the engine never touches, so
  // the gate passed and only the post-session check sees the damage.
  const int page = test::page_size_of(f.db());
  test::overwrite(f.db(), static_cast<std::uintmax_t>(page) * 2, page);
  kill(static_cast<pid_t>(f.engine_pid()), SIGKILL);
  CHECK(run->wait().exit_code == 1);
  const auto summary = f.latest_summary();
  const auto& health = summary["db_health"];
  CAPTURE(health.dump());
  CHECK(health["post_session_integrity"] != "ok");
  REQUIRE(health.contains("wal_frames_checkpointed"));
  CHECK(health["wal_frames_checkpointed"].is_null());
  CHECK(fs::file_size(side(f.db(), "-wal")) > 0);
  CHECK(fs::exists(side(f.db(), "-shm")));
  CHECK(at_rest_names(health) == std::vector<std::string>{"live.db", "live.db-wal", "live.db-shm"});
  CHECK(all_warnings(health).find("Nothing was folded") != std::string::npos);
}

TEST_CASE("at rest: another process holding the DB after the engine exited: no post-session step runs, nothing is folded, and a warning names it") {
  RunFixture f;
  auto run = start_long_run(f);
  // As an orphaned child of the engine would: the DB open, after the
  // sole-writer check before the start.
  test::ChildProcess holder({"/bin/sh", "-c", "exec sleep 60 3<live.db"}, {f.dir.path()});
  REQUIRE(test::wait_until(
      [&] {
        std::error_code ec;
        return fs::read_symlink(fs::path("/proc") / std::to_string(holder.pid()) / "fd" / "3", ec) ==
               f.db();
      },
      10));
  kill(static_cast<pid_t>(f.engine_pid()), SIGKILL);
  const auto result = run->wait();
  CHECK(result.exit_code == 1);
  const auto summary = f.latest_summary();
  const auto& health = summary["db_health"];
  CAPTURE(health.dump());
  // Issue 11.9: nothing post-session runs beside a process still on the DB.
  CHECK(health["post_session_integrity"].get<std::string>().starts_with("skipped: the DB is open in another process"));
  REQUIRE(health.contains("wal_frames_checkpointed"));
  CHECK(health["wal_frames_checkpointed"].is_null());
  CHECK(fs::file_size(side(f.db(), "-wal")) > 0);
  CHECK(fs::exists(side(f.db(), "-shm")));
  CHECK(at_rest_names(health) == std::vector<std::string>{"live.db", "live.db-wal", "live.db-shm"});
  const auto warnings = all_warnings(health);
  CHECK(warnings.find("pid " + std::to_string(holder.pid()) + " ") != std::string::npos);
  CHECK(result.err.find("pid " + std::to_string(holder.pid()) + " ") != std::string::npos);
}
