// Issue 11.1: one DB file, one owner, whatever name each config uses for it.
// Real supervisors, real engines, real hard links, symlinks and bind mounts.
#include <signal.h>

#include <doctest/doctest.h>

#include "common/db_location.hpp"
#include "common/integrity_check.hpp"
#include "common/run_history.hpp"
#include "support/run_fixture.hpp"

using namespace es;
namespace fs = std::filesystem;

namespace {

// Supervisor A running, its engine started: it holds both locks.
struct RunningA {
  test::ChildProcess process;
  explicit RunningA(const test::RunFixture& a)
      : process(a.run_argv(), test::ChildProcess::Options{a.dir.path(), false}) {
    REQUIRE(test::wait_until([&] { return fs::exists(a.marker()); }, 20));
  }
  ~RunningA() {
    process.send(SIGTERM);
    process.wait();
  }
};

// Supervisor A owns a/live.db (RunFixture); config B, in a folder of its
// own, names the same file by another name.
struct TwoNames {
  test::RunFixture a;
  test::TempDir b;

  fs::path config_b() const { return b / "engine-supervisor.yaml"; }
  // A's engine runs until A is stopped; B's would run briefly, were it started.
  void configure_both(const fs::path& name_for_b) {
    a.configure({"--interval-ms", "20"});
    configure_b(name_for_b);
  }
  // B was refused with 75, naming A's pid, and its engine never started.
  void check_b_refused(const test::CommandResult& result, const RunningA& running) const {
    CHECK(result.exit_code == 75);
    CHECK(result.err.find("pid " + std::to_string(running.process.pid())) != std::string::npos);
    CHECK_FALSE(fs::exists(marker_b()));
  }
  fs::path marker_b() const { return b / "engine.started"; }

  void configure_b(const fs::path& db_name, const std::string& database_extra = "") {
    const std::vector<std::string> command{test::demo_engine_binary(), "--marker",
                                           marker_b().string(), "--seconds", "0.2"};
    test::write_file(config_b(), "database:\n  path: " + nlohmann::json(db_name.string()).dump() +
                                     "\n" + database_extra + "engine:\n  command: " +
                                     nlohmann::json(command).dump() +
                                     "\nsummary:\n  dir: logs\nlogging:\n  dir: logs\n");
  }

  test::CommandResult run_b() const {
    return test::run_command({test::supervisor_binary(), "run", "--config", config_b().string()},
                             b.path());
  }
  test::CommandResult command_b(std::vector<std::string> argv) const {
    argv.insert(argv.begin(), test::supervisor_binary());
    argv.insert(argv.end(), {"--config", config_b().string()});
    return test::run_command(argv, b.path());
  }
};

// A second path to a folder: a bind mount, unmounted on the way out.
struct BindMount {
  fs::path target;
  std::string why_not;
  BindMount(const fs::path& source, const fs::path& to) : target(to) {
    fs::create_directories(target);
    const auto mounted = test::run_command({"/bin/mount", "--bind", source.string(), target.string()});
    if (mounted.exit_code != 0) {
      why_not = mounted.err.empty() ? "mount --bind failed" : mounted.err;
      target.clear();
    }
  }
  ~BindMount() {
    if (!target.empty()) test::run_command({"/bin/umount", target.string()});
  }
};

}  // namespace

TEST_CASE("issue 11.1: a second run through a hard link is refused with 75, naming the first") {
  TwoNames f;
  const auto alias = f.b / "alias.db";
  fs::create_hard_link(f.a.db(), alias);
  f.configure_both(alias);
  {
    RunningA a(f.a);
    const auto result = f.run_b();
    f.check_b_refused(result, a);
    CHECK(result.err.find("through " + f.a.db().string()) != std::string::npos);
  }
  CHECK(run_integrity_check(f.a.db(), CheckMode::kFull).ok());
}

TEST_CASE("issue 11.1: a second run through a file symlink is refused with 75, naming the first") {
  TwoNames f;
  const auto alias = f.b / "alias.db";
  fs::create_symlink(f.a.db(), alias);
  f.configure_both(alias);
  RunningA a(f.a);
  f.check_b_refused(f.run_b(), a);
  // Nothing of the supervisor's beside the symlink: it names the real file.
  CHECK_FALSE(fs::exists(f.b / "alias.db.supervisor.lock"));
}

TEST_CASE("issue 11.1: a second run through a bind mount of the DB's folder is refused with 75") {
  TwoNames f;
  BindMount mount(f.a.dir.path(), f.b / "mounted");
  if (mount.target.empty()) {
    WARN_MESSAGE(false, "SKIPPED: cannot bind-mount a folder here: " << mount.why_not);
    return;
  }
  f.configure_both(mount.target / "live.db");
  RunningA a(f.a);
  f.check_b_refused(f.run_b(), a);

  // The open-holders look sees A's engine through the other path too.
  const auto holders = find_open_holders({mount.target / "live.db"});
  CHECK(std::any_of(holders.begin(), holders.end(),
                    [&](const OpenHolder& h) { return h.pid == f.a.engine_pid(); }));
}

TEST_CASE("issue 11.1: restore --latest through a hard link or a symlink is refused with 75 while A runs") {
  TwoNames f;
  const auto hard = f.b / "hard.db";
  const auto soft = f.b / "soft.db";
  fs::create_hard_link(f.a.db(), hard);
  fs::create_symlink(f.a.db(), soft);
  f.a.configure({"--interval-ms", "20"});
  RunningA a(f.a);
  REQUIRE_FALSE(f.a.backups("bak").empty());
  for (const auto& alias : {hard, soft}) {
    CAPTURE(alias);
    f.configure_b(alias, "  backup_dir: " + nlohmann::json((f.a.dir / "backups").string()).dump() + "\n");
    f.check_b_refused(f.command_b({"restore", "--latest", "--yes"}), a);
    f.check_b_refused(f.command_b({"restore", "--latest", "--dry-run"}), a);
  }
  for (const auto& entry : fs::directory_iterator(f.a.dir.path())) {
    CHECK(entry.path().filename().string().find(".replaced.") == std::string::npos);
  }
}

TEST_CASE("issue 11.1: a run through a symlink and a run through its target keep one history") {
  TwoNames f;
  const auto alias = f.b / "alias.db";
  fs::create_symlink(f.a.db(), alias);
  f.configure_b(alias);  // backups beside the DB: beside the real file
  const auto through_link = f.run_b();
  REQUIRE(through_link.exit_code == 0);
  f.a.configure({"--seconds", "0.2"});
  const auto through_target = f.a.run();
  CHECK(through_target.exit_code == 0);

  const auto runs = RunHistory(RunHistory::path_for(f.a.db())).load().runs;
  CHECK(runs.size() == 2);
  // The second run found the DB as the first left it: no change to accept.
  CHECK(f.a.latest_summary()["db_health"]["continuity"] == "ok");
  for (const auto& entry : fs::directory_iterator(f.b.path())) {
    CHECK(entry.path().filename().string().rfind("alias.db.", 0) == std::string::npos);
  }
  bool backup_beside_real_file = false;
  for (const auto& entry : fs::directory_iterator(f.a.dir.path())) {
    if (entry.path().filename().string().rfind("live.db.bak.", 0) == 0) backup_beside_real_file = true;
  }
  CHECK(backup_beside_real_file);
}

TEST_CASE("issue 11.1: the sole-writer check finds an engine that opened the DB through a hard link") {
  TwoNames f;
  const auto alias = f.b / "alias.db";
  fs::create_hard_link(f.a.db(), alias);
  test::ChildProcess other({test::demo_engine_binary(), "--db", alias.string(), "--interval-ms",
                            "50", "--marker", (f.b / "other.pid").string()});
  REQUIRE(test::wait_until([&] { return fs::exists(f.b / "other.pid"); }, 10));
  // It writes through its own -wal, beside the other name: the hazard itself.
  REQUIRE(test::wait_until([&] { return fs::exists(alias.string() + "-wal"); }, 10));
  const auto holders = find_open_holders(live_db_files(f.a.db()));
  REQUIRE_FALSE(holders.empty());
  CHECK(holders[0].pid == other.pid());
  CHECK(holders[0].file == f.a.db());
  CHECK(holders[0].opened_as == alias);

  f.a.configure({"--seconds", "0.2"});
  const auto result = f.a.run();
  CHECK(result.exit_code == 75);
  CHECK(result.err.find("pid " + std::to_string(other.pid())) != std::string::npos);
  CHECK(result.err.find("as " + alias.string()) != std::string::npos);
  CHECK_FALSE(fs::exists(f.a.marker()));
  other.send(SIGTERM);
  other.wait();
}

TEST_CASE("issue 11 (small): another supervisor that has the DB open is named as one") {
  TwoNames f;
  const auto alias = f.b / "alias.db";
  fs::create_hard_link(f.a.db(), alias);
  f.a.configure({"--interval-ms", "20"});
  RunningA a(f.a);
  const auto check = test::run_command(
      {test::supervisor_binary(), "check", "--db", alias.string(), "--quick"}, f.b.path());
  CHECK(check.err.find("another engine-supervisor has the live DB") != std::string::npos);
  CHECK(check.err.find("pid " + std::to_string(a.process.pid())) != std::string::npos);
  CHECK(check.err.find("other processes have") == std::string::npos);

  const auto json = test::run_command(
      {test::supervisor_binary(), "check", "--db", alias.string(), "--quick", "--json"}, f.b.path());
  const auto report = nlohmann::json::parse(json.out);
  bool named = false;
  for (const auto& holder : report["open_elsewhere"]) {
    if (holder["pid"] != a.process.pid()) continue;
    named = holder["engine_supervisor"].get<bool>() &&
            holder["opened_as"] == f.a.db().string();
  }
  CHECK(named);
}
