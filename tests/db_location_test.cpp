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

// Issue 11.4: the probe looks where the DB really is. The share is stood in
// by a probe that calls one real folder NFS (no network filesystem can be
// mounted here); the symlinks, and their resolving, are real.
namespace {

// The probe that calls `share` NFS and every other folder local.
FilesystemProbe share_is_nfs(const fs::path& share) {
  return [share](const fs::path& folder) {
    return folder == share ? FilesystemInfo{"nfs", true} : FilesystemInfo{"ext4", false};
  };
}

struct LinkToShare {
  test::TempDir dir;
  fs::path share = fs::canonical(dir.path()) / "share";
  fs::path local = fs::canonical(dir.path()) / "local";
  LinkToShare() {
    fs::create_directories(share);
    fs::create_directories(local);
    test::make_db(share / "live.db", 5);
  }
  FilesystemProbe probe() const { return share_is_nfs(share); }
};

}  // namespace

TEST_CASE("issue 11.4: a local symlink to a DB on a network share is refused, naming the real file") {
  LinkToShare f;
  SUBCASE("a symlink to the file") {
    fs::create_symlink(f.share / "live.db", f.local / "live.db");
    const auto check = check_db_location(f.local / "live.db", true, f.probe());
    REQUIRE(check.refusal.has_value());
    CHECK(check.refusal->exit_code == ExitCode::kConfigInvalid);
    CHECK(check.refusal->message.find("its real file " + (f.share / "live.db").string()) !=
          std::string::npos);
    CHECK(check.refusal->message.find("network filesystem (nfs) at " + f.share.string()) !=
          std::string::npos);
    CHECK(check.filesystem.type == "nfs");
  }
  SUBCASE("a symlink to its folder") {
    fs::create_symlink(f.share, f.local / "data");
    const auto check = check_db_location(f.local / "data" / "live.db", true, f.probe());
    REQUIRE(check.refusal.has_value());
    CHECK(check.filesystem.network);
  }
  SUBCASE("the local file itself passes") {
    test::make_db(f.local / "live.db", 5);
    CHECK_FALSE(check_db_location(f.local / "live.db", true, f.probe()).refusal.has_value());
  }
}

TEST_CASE("issue 11.4: run refuses a DB reached through a local symlink to a share, before the engine") {
  test::RunFixture f;
  const auto share = fs::canonical(f.dir.path()) / "share";
  fs::create_directories(share);
  fs::rename(f.db(), share / "live.db");
  fs::create_symlink(share / "live.db", f.db());
  f.configure({"--seconds", "0.2"});
  auto config = load_config(f.config());
  REQUIRE(config.has_value());
  SessionRequest request{*config, "--config " + f.config().string(), "test", share_is_nfs(share)};
  CHECK(run_session(request).exit_code == ExitCode::kConfigInvalid);
  CHECK_FALSE(fs::exists(f.marker()));
  const auto summary = f.latest_summary();
  CHECK(summary["halt_reason"] == "network_filesystem");
  CHECK(summary["db_health"]["filesystem_type"] == "nfs");
}
