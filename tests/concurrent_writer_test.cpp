// Issue 11.5: another process writes the DB. A copy of it (backup,
// pre-session backup) must finish or fail in bounded time, whatever the
// caller watches; `run` must refuse the writer (75, naming it) before it
// checks or copies anything. The writer is a real process: the demo engine
// started by hand on a 40 MB DB, committing as fast as it can.

#include <signal.h>

#include <doctest/doctest.h>

#include <chrono>
#include <future>
#include <nlohmann/json.hpp>
#include <thread>

#include "common/backup_store.hpp"
#include "support/run_fixture.hpp"

using namespace es;
namespace fs = std::filesystem;

namespace {

// Far above what a 10 MB copy takes (well under a second here), far below
// the livelock: the copy restarted at every commit and never finished.
constexpr auto kCopyBound = std::chrono::seconds(20);

// The demo engine writing `db` by hand, outside any supervisor.
std::unique_ptr<test::ChildProcess> start_writer(const fs::path& db) {
  auto writer = std::make_unique<test::ChildProcess>(std::vector<std::string>{
      test::demo_engine_binary(), "--db", db.string(), "--interval-ms", "0"});
  REQUIRE(test::wait_until([&] { return test::count_rows(db, "orders") > 50; }, 30));
  return writer;
}

// About 40 MB, 10 chunks of a chunked copy: the old copy restarted at a
// commit between two chunks, so it then never finished in 3 tries of 3
// (at 10 MB, with one chunk boundary, it took 0.1 to 9 s by luck).
void make_big_db(const fs::path& db) { test::make_db(db, 40000, 400); }

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

TEST_CASE("issue 11.5: a backup taken while another process writes finishes in bounded time, "
          "with or without a progress callback") {
  test::TempDir dir;
  const auto db = dir / "live.db";
  make_big_db(db);
  auto writer = start_writer(db);
  const BackupStore store(db, dir.path());

  const auto copy_within_bound = [&](const BackupProgress& progress) {
    // The watchdog turns a livelock into a failure instead of a hung test.
    std::stop_source watchdog;
    auto copying = std::async(std::launch::async, [&] {
      return store.take(BackupKind::kManual, {10}, Clock::now(), progress, watchdog.get_token());
    });
    const auto start = std::chrono::steady_clock::now();
    if (copying.wait_for(kCopyBound) != std::future_status::ready) watchdog.request_stop();
    auto taken = copying.get();
    const double seconds = seconds_since(start);
    INFO("copy took " << seconds << " s");
    REQUIRE_MESSAGE(taken.has_value(), taken.error().message);
    CHECK(seconds < std::chrono::duration<double>(kCopyBound).count());
    CHECK(test::count_rows(taken->file.path) == 40000);
  };
  SUBCASE("no progress callback, but a stop that can be requested (as the pre-session backup)") {
    copy_within_bound({});
  }
  SUBCASE("a progress callback (as `backup` shows)") {
    int calls = 0;
    copy_within_bound([&](int, int) { ++calls; });
    CHECK(calls > 0);
  }
  CHECK(test::process_alive(writer->pid()));
  writer->send(SIGTERM);
  CHECK(writer->wait().exit_code == 0);
}

TEST_CASE("issue 11.5: `backup` finishes within a bound while another process writes the DB") {
  test::TempDir dir;
  const auto db = dir / "live.db";
  make_big_db(db);
  auto writer = start_writer(db);
  const auto start = std::chrono::steady_clock::now();
  test::ChildProcess backup({test::supervisor_binary(), "backup", "--db", db.string()},
                            {dir.path()});
  auto done = backup.wait_for(std::chrono::duration<double>(kCopyBound).count());
  if (!done) backup.send(SIGKILL);
  REQUIRE_MESSAGE(done.has_value(), "`backup` still copying after the bound");
  INFO(done->err);
  CHECK(done->exit_code == 0);
  CHECK(seconds_since(start) < std::chrono::duration<double>(kCopyBound).count());
  writer->send(SIGTERM);
  CHECK(writer->wait().exit_code == 0);
}

TEST_CASE("issue 11.5: `run` refuses with 75 naming the writer's PID before the gate and the "
          "pre-session backup") {
  test::RunFixture f;
  make_big_db(f.dir / "big.db");
  fs::rename(f.dir / "big.db", f.db());
  f.configure({"--seconds", "0.2"});
  auto writer = start_writer(f.db());
  const auto start = std::chrono::steady_clock::now();
  test::ChildProcess run(f.run_argv(), {f.dir.path()});
  auto done = run.wait_for(std::chrono::duration<double>(kCopyBound).count());
  if (!done) run.send(SIGKILL);
  REQUIRE_MESSAGE(done.has_value(), "`run` still busy after the bound");
  INFO(done->err);
  CHECK(done->exit_code == 75);
  CHECK(seconds_since(start) < std::chrono::duration<double>(kCopyBound).count());
  CHECK(done->err.find("pid " + std::to_string(writer->pid())) != std::string::npos);
  CHECK_FALSE(fs::exists(f.marker()));
  // Before the gate and the backup: neither ran, no backup or temporary.
  CHECK(done->err.find("checking ") == std::string::npos);
  CHECK(fs::is_empty(f.dir / "backups"));
  const auto summary = f.latest_summary();
  CHECK(summary["outcome"] == "aborted");
  CHECK(summary["halt_reason"] == "db_open_elsewhere");
  CHECK(summary["db_health"]["pre_session_backup"].is_null());
  CHECK(summary["db_health"]["integrity_check"] == "skipped");
  writer->send(SIGTERM);
  CHECK(writer->wait().exit_code == 0);
}
