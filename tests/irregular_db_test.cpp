// What is not a regular file at the DB's path is refused before anything
// opens it, with a message naming what it is: opening a FIFO blocks.

#include <doctest/doctest.h>
#include <sys/stat.h>

#include <chrono>

#include "common/wal_evidence.hpp"
#include "support/run_fixture.hpp"
#include "support/temp_dir.hpp"
#include "support/test_db.hpp"

namespace es {
namespace fs = std::filesystem;
using test::TempDir;

TEST_CASE("irregular DB: a FIFO, a device, a folder and a symlink loop are refused at once") {
  TempDir dir;
  const auto db = dir / "live.db";
  std::string expected;
  SUBCASE("a FIFO") {
    REQUIRE(::mkfifo(db.c_str(), 0600) == 0);
    expected = "not a regular file";
  }
  SUBCASE("/dev/zero through a symlink") {
    fs::create_symlink("/dev/zero", db);
    expected = "not a regular file";
  }
  SUBCASE("a folder") {
    fs::create_directory(db);
    expected = "not a regular file";
  }
  SUBCASE("a symlink loop") {
    fs::create_symlink(dir / "live.db", db);
    expected = "cannot be examined";
  }
  const auto start = std::chrono::steady_clock::now();
  const auto result = test::run_command({test::supervisor_binary(), "check", "--db", db.string()});
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(10));
  CHECK(result.exit_code == 65);
  CHECK(result.err.find(expected) != std::string::npos);
}

TEST_CASE("irregular DB: a FIFO as the -wal or -shm is not opened by the forensics") {
  TempDir dir;
  const auto db = dir / "live.db";
  test::make_db(db, 50);
  test::commit_in_wal_only(db, 50);
  fs::remove(fs::path(db.string() + "-wal"));
  REQUIRE(::mkfifo((db.string() + "-wal").c_str(), 0600) == 0);
  const auto e = read_wal_evidence(db);  // would block for ever if it opened the FIFO
  CHECK(e.verdict == WalVerdict::kLost);
  CHECK(e.cause == "the -wal is not a regular file");
  const auto result = test::run_command({test::supervisor_binary(), "check", "--db", db.string()});
  CHECK(result.exit_code == 65);
}

TEST_CASE("issue 11.10: run refuses a FIFO, /dev/zero, a folder or a symlink loop as the DB within a second, engine never started") {
  test::RunFixture fx;
  fx.configure({"--seconds", "30"});
  fs::remove(fx.db());
  std::string expected = "not a regular file";
  SUBCASE("a FIFO") { REQUIRE(::mkfifo(fx.db().c_str(), 0600) == 0); }
  SUBCASE("/dev/zero through a symlink") { fs::create_symlink("/dev/zero", fx.db()); }
  SUBCASE("a folder") { fs::create_directory(fx.db()); }
  SUBCASE("a symlink loop") {
    fs::create_symlink(fx.db(), fx.db());
    expected = "cannot be examined";
  }
  const auto start = std::chrono::steady_clock::now();
  const auto result = fx.run();
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(3));
  CHECK(result.exit_code == 65);
  CHECK(result.err.find(expected) != std::string::npos);
  CHECK_FALSE(fs::exists(fx.marker()));
}

}  // namespace es
