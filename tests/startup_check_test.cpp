#include "common/startup_check.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>
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

// A DB of 5000 rows at rest in `dir`, and an empty backup folder beside it.
void make_db_with_backup_folder(const test::TempDir& dir) {
  test::make_db(dir / "live.db", 5000, 300);
  fs::create_directory(dir / "backups");
}

}  // namespace

TEST_CASE("startup check: with a stop token that is never used, the gate passes and the backup is kept") {
  test::TempDir dir;
  make_db_with_backup_folder(dir);
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

namespace {

// The pre-session copy's temporary in `folder` once it holds all `bytes`.
std::optional<fs::path> complete_temporary(const fs::path& folder, std::uintmax_t bytes) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(folder, ec)) {
    const auto name = entry.path().filename().string();
    if (name.ends_with(".tmp") && fs::file_size(entry.path(), ec) == bytes) return entry.path();
  }
  return std::nullopt;
}

// Runs the startup check; during the gate, once the byte copy is complete,
// damages the copy (page 2 zeroed) and, with `touch_db`, moves the DB's
// mtime: the DB is then not known to be the bytes the gate read.
StartupCheck check_with_damaged_copy(const test::TempDir& dir, bool touch_db) {
  const auto db = dir / "live.db";
  const auto bytes = fs::file_size(db);
  const auto page = static_cast<std::uintmax_t>(test::page_size_of(db));
  bool done = false;
  const CheckProgress progress = [&](double, std::int64_t) {
    if (done) return true;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (!complete_temporary(dir / "backups", bytes) && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    REQUIRE(complete_temporary(dir / "backups", bytes).has_value());
    // After the copy's own read-back: it compared what it wrote with what it reads.
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    test::overwrite(*complete_temporary(dir / "backups", bytes), page, page, 0);
    if (touch_db) fs::last_write_time(db, fs::last_write_time(db) + std::chrono::seconds(5));
    done = true;
    return true;
  };
  auto result = run_startup_check(request_for(dir), progress);
  CHECK(done);
  return result;
}

}  // namespace

TEST_CASE("issue 14: the pre-session copy of a DB at rest is byte for byte, its header says rollback journal, and the gate's check stands for its own") {
  test::TempDir dir;
  make_db_with_backup_folder(dir);
  const auto result = run_startup_check(request_for(dir));
  REQUIRE(result.backup.has_value());
  auto db_bytes = test::read_file(dir / "live.db");
  const auto copy = test::read_file(result.backup->file.path);
  REQUIRE(db_bytes.size() > 100);
  CHECK(db_bytes[18] == 2);  // WAL
  db_bytes[18] = db_bytes[19] = 1;
  CHECK(copy == db_bytes);
  // It stands alone: it opens in rollback mode and leaves nothing beside it.
  CHECK(run_integrity_check(result.backup->file.path, CheckMode::kFull).ok());
  CHECK(test::count_rows(result.backup->file.path) == 5000);
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir / "backups")) {
    names.push_back(entry.path().filename().string());
  }
  CHECK(names == std::vector<std::string>{result.backup->file.path.filename().string()});

  // The trust has a condition: the gate read these bytes. Shown by a copy
  // damaged after its read-back: with the DB unchanged it is kept (nothing
  // reads it again: the gate read the same bytes), with the DB changed
  // meanwhile it gets its own quick_check, which finds the damage.
  test::TempDir other;
  make_db_with_backup_folder(other);
  const auto changed = check_with_damaged_copy(other, true);
  CHECK(changed.gate.passed());
  CHECK_FALSE(changed.backup.has_value());
  REQUIRE(changed.backup_error.has_value());
  CHECK(changed.backup_error->message.find("quick_check says") != std::string::npos);
  CHECK(fs::is_empty(other / "backups"));

  test::TempDir same;
  make_db_with_backup_folder(same);
  const auto unchanged = check_with_damaged_copy(same, false);
  CHECK(unchanged.gate.passed());
  CHECK(unchanged.backup.has_value());  // the damage was made by the test, after every check
}

TEST_CASE("issue 14: a copy left to the gate is never kept unchecked, and a damaged DB's copy goes with the failed gate") {
  test::TempDir dir;
  make_db_with_backup_folder(dir);
  const BackupStore store(dir / "live.db", dir / "backups");
  auto prepared = store.prepare(BackupKind::kPreSession, Clock::now(), {}, {}, true);
  REQUIRE(prepared.has_value());
  CHECK(prepared->awaits_gate());
  auto refused = store.commit(std::move(*prepared), {5});
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().message.find("its structure was never checked") != std::string::npos);
  CHECK(fs::is_empty(dir / "backups"));

  // Bytes flipped in a real page: the gate fails, and the copy is not kept.
  const auto page = static_cast<std::uintmax_t>(test::page_size_of(dir / "live.db"));
  test::overwrite(dir / "live.db", 3 * page, 8, 0xff);  // page 4's b-tree header
  const auto result = run_startup_check(request_for(dir));
  CHECK_FALSE(result.gate.passed());
  CHECK_FALSE(result.backup.has_value());
  CHECK(fs::is_empty(dir / "backups"));
}
