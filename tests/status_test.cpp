// Issue 12.4: `status [--json]` for one DB, with `systemctl is-active`-like
// exit codes; it reads files only, so a live run is never blocked by it.

#include <signal.h>
#include <sys/stat.h>

#include <doctest/doctest.h>

#include <chrono>
#include <nlohmann/json.hpp>

#include "support/run_fixture.hpp"
#include "support/test_db.hpp"

using namespace es;
namespace fs = std::filesystem;

namespace {

std::pair<int, nlohmann::json> status_of(const test::RunFixture& f) {
  const auto result = test::run_command(
      {test::supervisor_binary(), "status", "--json", "--config", f.config().string()}, f.dir.path());
  INFO(result.err);
  return {result.exit_code, nlohmann::json::parse(result.out)};
}

}  // namespace

TEST_CASE("issue 12.4: status says 4 with no history, 0 after a clean run, 3 after an unclean one, and changes no file") {
  test::RunFixture f;
  f.configure_command({"true"});
  {
    const auto before = test::folder_contents(f.dir.path());
    const auto [code, status] = status_of(f);
    CHECK(code == 4);
    CHECK(status["live_run"].is_null());
    CHECK(status["last_run"].is_null());
    CHECK(test::folder_contents(f.dir.path()) == before);
  }
  REQUIRE(f.run().exit_code == 0);
  {
    const auto [code, status] = status_of(f);
    CHECK(code == 0);
    CHECK(status["last_run"]["outcome"] == "clean");
    CHECK(status["last_run"]["run_id"] == f.latest_summary()["run_id"]);
    REQUIRE(status["newest_good_backup"].is_object());
    CHECK(status["newest_good_backup"]["age_seconds"].get<double>() < 120);
    CHECK(status["db_at_rest"][0]["name"] == "live.db");
    CHECK(status["db_at_rest"][0]["bytes"].get<long long>() == static_cast<long long>(fs::file_size(f.db())));
  }
  f.configure_command({"false"});
  REQUIRE(f.run().exit_code == 1);
  {
    const auto before = test::folder_contents(f.dir.path());
    const auto [code, status] = status_of(f);
    CHECK(code == 3);
    CHECK(status["last_run"]["outcome"] == "unclean");
    CHECK(status["last_run"]["halt_reason"] == "exit_code:1");
    CHECK(test::folder_contents(f.dir.path()) == before);
    const auto text = test::run_command(
        {test::supervisor_binary(), "status", "--config", f.config().string()}, f.dir.path());
    CHECK(text.exit_code == 3);
    CHECK(text.out.find("unclean (exit_code:1)") != std::string::npos);
  }
}

TEST_CASE("issue 12.4: status during a live run answers at once with its pid, run id and heartbeat, and the run goes on") {
  test::RunFixture f;
  f.configure({"--seconds", "60", "--interval-ms", "50"});
  test::ChildProcess run(f.run_argv(), {.cwd = f.dir.path()});
  REQUIRE(test::wait_until([&] { return fs::exists(f.marker()); }, 30));
  const auto started = std::chrono::steady_clock::now();
  const auto [code, status] = status_of(f);
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(5));
  CHECK(code == 0);
  REQUIRE(status["live_run"].is_object());
  CHECK(status["live_run"]["pid"] == run.pid());
  CHECK(status["live_run"]["heartbeat_age_seconds"].get<double>() < 60);
  CHECK(status["last_run"].is_null());
  const auto rows = test::count_rows(f.db(), "orders");
  REQUIRE(test::wait_until([&] { return test::count_rows(f.db(), "orders") > rows; }, 10));
  run.send(SIGTERM);
  CHECK(run.wait().exit_code == 0);
  const auto [after, done] = status_of(f);
  CHECK(after == 0);
  CHECK(done["live_run"].is_null());
  CHECK(done["last_run"]["outcome"] == "clean");
}

TEST_CASE("issue 11.10 (found again): a FIFO as the run history is named and never opened: status, history and run all end") {
  test::RunFixture f;
  f.configure_command({"true"});
  const auto history = f.db().string() + ".supervisor-history.jsonl";
  REQUIRE(::mkfifo(history.c_str(), 0600) == 0);
  const auto started = std::chrono::steady_clock::now();
  const auto status = test::run_command(
      {test::supervisor_binary(), "status", "--config", f.config().string()}, f.dir.path());
  CHECK(status.exit_code == 4);
  CHECK(status.err.find("is not a regular file") != std::string::npos);
  const auto listed = test::run_command(
      {test::supervisor_binary(), "history", "--config", f.config().string()}, f.dir.path());
  CHECK(listed.exit_code == 0);
  const auto run = f.run();  // with logging.keep_sessions pruning at its end
  CHECK(run.exit_code == 0);
  CHECK(run.err.find("is not a regular file") != std::string::npos);
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(60));
  CHECK(fs::is_fifo(history));
}
