#include "common/db_location.hpp"

#include <signal.h>

#include <doctest/doctest.h>

#include "supervisor/lifecycle.hpp"
#include "support/run_fixture.hpp"

using namespace es;
namespace fs = std::filesystem;

namespace {
FilesystemInfo fake_nfs(const fs::path&) { return {"nfs", true}; }
}  // namespace

TEST_CASE("location: a network filesystem is refused, citing SQLite's rule, unless allowed") {
  const auto refused = check_db_location("/mnt/share/live.db", true, fake_nfs);
  REQUIRE(refused.refusal.has_value());
  CHECK(refused.refusal->exit_code == ExitCode::kConfigInvalid);
  CHECK(refused.refusal->message.find("network filesystem (nfs)") != std::string::npos);
  CHECK(refused.refusal->message.find("WAL mode does not work over a network filesystem") !=
        std::string::npos);
  CHECK(refused.refusal->message.find("Move the DB to a local disk") != std::string::npos);
  CHECK(refused.filesystem.type == "nfs");

  const auto allowed = check_db_location("/mnt/share/live.db", false, fake_nfs);
  CHECK_FALSE(allowed.refusal.has_value());
  REQUIRE(allowed.warning.has_value());
  CHECK(allowed.warning->find("require_local_filesystem is false") != std::string::npos);
}

TEST_CASE("location: the real probe on a local folder says local, with a type") {
  test::TempDir dir;
  const auto check = check_db_location(dir / "live.db", true);
  CHECK_FALSE(check.refusal.has_value());
  CHECK_FALSE(check.filesystem.network);
  CHECK_FALSE(check.filesystem.type.empty());
  CHECK(check.filesystem.type.find("unknown") == std::string::npos);
}

TEST_CASE("location: run refuses a DB on a network filesystem before the engine starts") {
  test::RunFixture f;
  f.configure({"--seconds", "0.2"});
  auto config = load_config(f.config());
  REQUIRE(config.has_value());
  SessionRequest request{*config, "--config " + f.config().string(), "test", fake_nfs};
  CHECK(run_session(request).exit_code == ExitCode::kConfigInvalid);
  CHECK_FALSE(fs::exists(f.marker()));
  const auto summary = f.latest_summary();
  CHECK(summary["outcome"] == "aborted");
  CHECK(summary["halt_reason"] == "network_filesystem");
  CHECK(summary["db_health"]["filesystem_type"] == "nfs");
}

TEST_CASE("sole writer: run refuses with 75 while another process has the DB open, naming it") {
  test::RunFixture f;
  test::ChildProcess other({test::demo_engine_binary(), "--db", f.db().string(), "--interval-ms",
                            "50", "--marker", (f.dir / "other.pid").string()});
  REQUIRE(test::wait_until([&] { return fs::exists(f.dir / "other.pid"); }, 10));
  REQUIRE(test::wait_until([&] { return test::count_rows(f.db(), "orders") > 0; }, 10));
  f.configure({"--seconds", "0.2"});
  const auto result = f.run();
  CHECK(result.exit_code == 75);
  CHECK(result.err.find("pid " + std::to_string(other.pid())) != std::string::npos);
  CHECK(result.err.find("es-demo-engine") != std::string::npos);
  CHECK_FALSE(fs::exists(f.marker()));
  const auto summary = f.latest_summary();
  CHECK(summary["outcome"] == "aborted");
  CHECK(summary["halt_reason"] == "db_open_elsewhere");

  const auto check = test::run_command(
      {test::supervisor_binary(), "check", "--db", f.db().string(), "--json"});
  const auto report = nlohmann::json::parse(check.out);
  REQUIRE(report["open_elsewhere"].size() >= 1);
  CHECK(report["open_elsewhere"][0]["pid"] == other.pid());
  CHECK_FALSE(report["filesystem"]["network"].get<bool>());

  other.send(SIGTERM);
  other.wait();
}
