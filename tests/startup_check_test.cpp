#include "common/startup_check.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <stop_token>
#include <thread>

#include "support/temp_dir.hpp"
#include "support/test_db.hpp"

using namespace es;
namespace fs = std::filesystem;

namespace {

StartupCheckRequest request_for(const test::TempDir& dir) {
  StartupCheckRequest request;
  request.gate = GateRequest{dir / "live.db", dir / "backups", CheckMode::kFull, false, ""};
  return request;
}

}  // namespace

TEST_CASE("startup check: with a stop token that is never used, the gate passes and the backup is kept") {
  test::TempDir dir;
  test::make_db(dir / "live.db", 5000, 300);
  fs::create_directory(dir / "backups");
  std::stop_source unused;
  const auto result = run_startup_check(request_for(dir), {}, unused.get_token());
  CHECK_FALSE(result.stopped);
  CHECK(result.gate.passed());
  REQUIRE(result.backup.has_value());
  CHECK(run_integrity_check(result.backup->file.path, CheckMode::kFull).ok());
  CHECK(test::count_rows(result.backup->file.path) == 5000);
}

TEST_CASE("startup check: a stop meanwhile abandons the gate and the backup at once, leaving no file") {
  test::TempDir dir;
  test::make_db(dir / "live.db", 60000, 300);
  fs::create_directory(dir / "backups");
  const auto whole = run_integrity_check(dir / "live.db", CheckMode::kFull);
  std::stop_source stop;
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    stop.request_stop();
  });
  const auto started = std::chrono::steady_clock::now();
  const auto result = run_startup_check(request_for(dir), {}, stop.get_token());
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - started;
  stopper.join();
  CAPTURE(whole.seconds);
  CAPTURE(took.count());
  CHECK(result.stopped);
  CHECK(result.gate.report.stopped);
  CHECK_FALSE(result.backup.has_value());
  CHECK_FALSE(result.backup_error.has_value());  // abandoned, not failed
  CHECK(took.count() < whole.seconds / 2);
  CHECK(fs::is_empty(dir / "backups"));  // not even a temporary
}
