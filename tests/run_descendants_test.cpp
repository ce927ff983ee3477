// Issue 11, items 9, 18 and 19: the engine's descendants. The real binary,
// the real demo engine (its --detached-child and --detached-grandchild make
// a helper that calls setsid()), real wrapper shells, real SIGKILLs.

#include <signal.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include <thread>

#include "common/process_table.hpp"
#include "common/sqlite_db.hpp"
#include "support/run_fixture.hpp"

using namespace es;
using test::RunFixture;
namespace fs = std::filesystem;

namespace {

long pid_in(const fs::path& marker) {
  const auto text = test::read_file(marker);
  return text.empty() ? -1 : std::stol(text);
}

fs::path child_marker(const RunFixture& f) { return fs::path(f.marker().string() + ".child"); }

// Kills, when the test ends however it ends, the processes a test expects
// to outlive their supervisor: never a stranger (its command line must name
// what the test started).
struct KillAtEnd {
  std::vector<std::pair<long, std::string>> processes;
  void add(long pid, std::string must_contain) { processes.emplace_back(pid, std::move(must_contain)); }
  ~KillAtEnd() {
    for (const auto& [pid, name] : processes) {
      if (pid > 0 && process_command_line(pid).find(name) != std::string::npos) {
        ::kill(static_cast<pid_t>(pid), SIGKILL);
      }
    }
  }
};

std::int64_t sessions_open(const fs::path& db) {
  auto conn = SqliteDb::open_read_only(db);
  REQUIRE(conn.has_value());
  auto statement = SqliteStatement::prepare(*conn, "SELECT count(*) FROM sessions WHERE ended_at IS NULL");
  REQUIRE(statement.has_value());
  REQUIRE(statement->step() == SQLITE_ROW);
  return statement->column_int(0);
}

nlohmann::json history_of(const RunFixture& f) {
  return nlohmann::json::parse(test::run_command({test::supervisor_binary(), "history", "--config",
                                                  f.config().string(), "--json"})
                                   .out);
}

std::string lock_record(const RunFixture& f) {
  return test::read_file(fs::path(f.db().string() + ".supervisor.lock"));
}

// A whole run of the demo engine with `engine_args` (one of them
// --detached-child or --detached-grandchild), and the pid of the detached
// copy it started, which `cleanup` kills if the test leaves it running.
std::pair<test::CommandResult, long> run_with_detached(RunFixture& f, KillAtEnd& cleanup,
                                                       const std::vector<std::string>& engine_args,
                                                       int stop_grace_seconds = 10) {
  f.configure(engine_args, stop_grace_seconds);
  auto result = f.run();
  const long pid = pid_in(child_marker(f));
  REQUIRE(pid > 0);
  cleanup.add(pid, "es-demo-engine");
  return {std::move(result), pid};
}

// Starts a run and waits until its engine has written its marker.
std::unique_ptr<test::ChildProcess> start_run(const RunFixture& f) {
  auto run = std::make_unique<test::ChildProcess>(f.run_argv(),
                                                  test::ChildProcess::Options{f.dir.path()});
  REQUIRE(test::wait_until([&] { return fs::exists(f.marker()); }, 20));
  return run;
}

}  // namespace

TEST_CASE("issue 11.9: a wrapper shell without exec, supervisor SIGKILLed: the next run refuses "
          "with 75 naming the orphan, before the gate, and kills nothing") {
  RunFixture f;
  KillAtEnd cleanup;
  // The engine is the shell; the demo engine is its child, in its group.
  // Its output goes to a file: a real engine that logs to a file outlives
  // the supervisor's pipe.
  f.configure_command({"sh", "-c",
                       test::demo_engine_binary() + " --marker " + f.marker().string() +
                           " --interval-ms 20 > engine.out 2>&1; echo done"});
  auto run = start_run(f);
  const long orphan = f.engine_pid();
  cleanup.add(orphan, "es-demo-engine");
  REQUIRE(test::wait_until([&] { return test::count_rows(f.db(), "orders") > 2; }, 20));
  run->send(SIGKILL);
  run->wait();
  // The shell died with its supervisor (parent-death signal); its child
  // did not, and still writes the DB.
  REQUIRE(test::wait_until([&] { return read_process(orphan).has_value(); }, 1));
  const auto rows = test::count_rows(f.db(), "orders");
  REQUIRE(test::wait_until([&] { return test::count_rows(f.db(), "orders") > rows; }, 10));
  CHECK(read_process(orphan)->parent_pid != run->pid());

  const auto backups_before = f.backups("bak").size();
  const auto next = f.run();
  CHECK(next.exit_code == 75);
  CAPTURE(next.err);
  CHECK(next.err.find("processes that an earlier run's engine started are still running") !=
        std::string::npos);
  CHECK(next.err.find("pid " + std::to_string(orphan) + ": " + test::demo_engine_binary()) !=
        std::string::npos);
  CHECK(next.err.find("kill " + std::to_string(orphan)) != std::string::npos);
  // Refused before the gate and the pre-session backup, and nothing killed.
  CHECK(f.backups("bak").size() == backups_before);
  CHECK(next.err.find("checking") == std::string::npos);
  CHECK(test::process_alive(static_cast<int>(orphan)));
  // The lost run stays open, so the start after this one looks again.
  CHECK(history_of(f)[0]["outcome"] == "lost");
  CHECK(f.run().exit_code == 75);

  // Once the operator stopped it, the next run goes on and closes the lost run.
  ::kill(static_cast<pid_t>(orphan), SIGTERM);
  REQUIRE(test::wait_until([&] { return !test::process_alive(static_cast<int>(orphan)); }, 10));
  fs::remove(f.marker());
  f.configure({"--seconds", "0.2"});
  const auto after = f.run();
  CHECK(after.exit_code == 0);
  const auto history = history_of(f);
  REQUIRE(history.size() == 2);
  CHECK(history[1]["halt_reason"] == "supervisor_lost");
}

TEST_CASE("issue 11.18: a lost run's leftover that holds no file of the DB (a listener) is found "
          "through the run's record and process group, and the next run refuses with 75") {
  RunFixture f;
  KillAtEnd cleanup;
  // `sleep` stands for the server's listener: in the engine's group, it
  // holds nothing of the DB, so the sole-writer check cannot see it.
  f.configure_command({"sh", "-c",
                       "sleep 300 & exec " + test::demo_engine_binary() + " --marker " +
                           f.marker().string() + " --interval-ms 20"});
  auto run = start_run(f);
  // The lock file records the engine's tree while it runs.
  // (The wrapper shell's own command line names "sleep 300" too, until it
  // execs the engine: wait for the listener itself.)
  nlohmann::json record;
  long listener = -1;
  REQUIRE(test::wait_until(
      [&] {
        // The supervisor rewrites the record in place: a read can fall
        // between its truncation and its write, and then looks again.
        record = nlohmann::json::parse(lock_record(f), nullptr, false);
        if (!record.is_object()) return false;
        for (const auto& p : record.value("engine_tree", nlohmann::json::object())
                                 .value("processes", nlohmann::json::array())) {
          if (p["command"] == "sleep 300") listener = p["pid"].get<long>();
        }
        return listener > 0 && record["engine_tree"]["processes"].size() == 2;
      },
      15));
  const auto& tree = record["engine_tree"];
  CHECK(tree["process_group"] == f.engine_pid());
  cleanup.add(listener, "sleep 300");
  CHECK(tree["processes"][0]["pid"] == f.engine_pid());
  CHECK(tree["processes"][0]["start_time"].get<std::uint64_t>() ==
        read_process(f.engine_pid())->start_time);

  run->send(SIGKILL);
  run->wait();
  REQUIRE(test::wait_until([&] { return !test::process_alive(static_cast<int>(f.engine_pid())); }, 5));
  REQUIRE(test::process_alive(static_cast<int>(listener)));

  const auto next = f.run();
  CHECK(next.exit_code == 75);
  CAPTURE(next.err);
  CHECK(next.err.find("pid " + std::to_string(listener) + ": sleep 300") != std::string::npos);
  CHECK(test::process_alive(static_cast<int>(listener)));
}

TEST_CASE("issue 11.9: a setsid() child holding the DB open is stopped when the engine exits "
          "clean, before the post-session check, backup and fold") {
  RunFixture f;
  KillAtEnd cleanup;
  const auto [result, child] =
      run_with_detached(f, cleanup, {"--seconds", "0.5", "--interval-ms", "20", "--detached-child"});
  CHECK(result.exit_code == 0);
  CHECK_FALSE(test::process_alive(static_cast<int>(child)));
  // Stopped by the stop signal, not killed: it closed its own session.
  CHECK(sessions_open(f.db()) == 0);
  const auto summary = f.latest_summary();
  CAPTURE(summary.dump(2));
  REQUIRE(summary["engine"]["left_running"].size() == 1);
  CHECK(summary["engine"]["left_running"][0]["pid"] == child);
  CHECK(summary["engine"]["left_running"][0]["ended"] == "stopped");
  CHECK(summary["db_health"]["open_after_engine"] == nlohmann::json::array());
  CHECK(summary["db_health"]["post_session_integrity"] == "ok");
  CHECK(summary["db_health"]["post_session_backup"].is_string());
  CHECK(result.err.find("the engine exited, but 1 of its processes still run") != std::string::npos);
}

TEST_CASE("issue 11.9: what the engine leaves that ignores the stop signal is killed after "
          "stop_grace_seconds") {
  RunFixture f;
  KillAtEnd cleanup;
  const auto started = std::chrono::steady_clock::now();
  const auto [result, child] = run_with_detached(
      f, cleanup, {"--seconds", "0.5", "--interval-ms", "20", "--ignore-stop", "--detached-child"}, 1);
  CHECK(result.exit_code == 0);
  CHECK(std::chrono::steady_clock::now() - started >= std::chrono::seconds(1));
  CHECK_FALSE(test::process_alive(static_cast<int>(child)));
  const auto summary = f.latest_summary();
  REQUIRE(summary["engine"]["left_running"].size() == 1);
  CHECK(summary["engine"]["left_running"][0]["ended"] == "killed");
  CHECK(sessions_open(f.db()) == 1);  // the child's, never closed
  CHECK(summary["db_health"]["post_session_backup"].is_string());
}

TEST_CASE("issue 11.19: a Fossil-like helper (a grandchild that setsid()s after a double fork and "
          "writes the DB) is stopped with the engine, and after a SIGKILL of the supervisor the "
          "next run refuses with 75 naming it") {
  SUBCASE("the engine exits clean: the helper is stopped before the post-session steps") {
    RunFixture f;
    KillAtEnd cleanup;
    const auto [result, helper] = run_with_detached(
        f, cleanup, {"--seconds", "0.5", "--interval-ms", "20", "--detached-grandchild"});
    CHECK(result.exit_code == 0);
    CHECK_FALSE(test::process_alive(static_cast<int>(helper)));
    CHECK(sessions_open(f.db()) == 0);
    const auto summary = f.latest_summary();
    REQUIRE(summary["engine"]["left_running"].size() == 1);
    CHECK(summary["engine"]["left_running"][0]["pid"] == helper);
    CHECK(summary["db_health"]["post_session_backup"].is_string());
  }
  SUBCASE("the supervisor is SIGKILLed: the helper runs on and is found at the next start") {
    RunFixture f;
    KillAtEnd cleanup;
    f.configure({"--interval-ms", "20", "--detached-grandchild"});
    auto run = start_run(f);
    REQUIRE(test::wait_until([&] { return pid_in(child_marker(f)) > 0; }, 20));
    const long helper = pid_in(child_marker(f));
    cleanup.add(helper, "es-demo-engine");
    CHECK(read_process(helper)->group != f.engine_pid());  // out of the engine's group
    run->send(SIGKILL);
    run->wait();
    REQUIRE(test::wait_until([&] { return !test::process_alive(static_cast<int>(f.engine_pid())); }, 5));
    REQUIRE(test::process_alive(static_cast<int>(helper)));
    const auto backups_before = f.backups("bak").size();
    const auto next = f.run();
    CHECK(next.exit_code == 75);
    CAPTURE(next.err);
    CHECK(next.err.find("pid " + std::to_string(helper) + ": ") != std::string::npos);
    CHECK(f.backups("bak").size() == backups_before);
    CHECK(test::process_alive(static_cast<int>(helper)));
  }
}

TEST_CASE("issue 11.9: a process outside the engine's tree that still holds the DB after the "
          "engine exited skips the post-session check, backup and fold, loudly") {
  RunFixture f;
  f.configure({"--seconds", "1.5", "--interval-ms", "20"});
  auto run = start_run(f);
  // Started by hand, after the sole-writer check: not the engine's, so not
  // stopped with it.
  test::ChildProcess stranger({test::demo_engine_binary(), "--db", f.db().string(),
                               "--interval-ms", "50"},
                              test::ChildProcess::Options{f.dir.path()});
  const auto result = run->wait();
  stranger.send(SIGTERM);
  stranger.wait();
  CHECK(result.exit_code == 0);
  const auto summary = f.latest_summary();
  const auto& health = summary["db_health"];
  CAPTURE(health.dump(2));
  REQUIRE(health["open_after_engine"].size() >= 1);
  CHECK(health["open_after_engine"][0]["pid"] == stranger.pid());
  CHECK(health["post_session_integrity"] == "skipped: the DB is open in another process");
  CHECK(health["post_session_backup"].is_null());
  CHECK(health["wal_frames_checkpointed"].is_null());
  CHECK(f.backups("post").empty());
  bool loud = false;
  for (const auto& w : health["warnings"]) {
    loud = loud || w.get<std::string>().find("POST-SESSION STEPS SKIPPED") != std::string::npos;
  }
  CHECK(loud);
  CHECK(result.err.find("POST-SESSION STEPS SKIPPED") != std::string::npos);
  CHECK(summary["engine"]["left_running"] == nlohmann::json::array());
}
