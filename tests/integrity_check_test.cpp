#include "common/integrity_check.hpp"

#include <doctest/doctest.h>
#include <sqlite3.h>

#include <chrono>
#include <stop_token>
#include <thread>

#include "support/temp_dir.hpp"
#include "support/test_db.hpp"

using namespace es;
namespace fs = std::filesystem;

TEST_CASE("integrity_check: a good DB is ok in both modes, with its shape") {
  test::TempDir dir;
  test::make_db(dir / "live.db");
  for (auto mode : {CheckMode::kFull, CheckMode::kQuick}) {
    const auto report = run_integrity_check(dir / "live.db", mode);
    CHECK(report.ok());
    CHECK(report.rows == std::vector<std::string>{"ok"});
    CHECK(report.page_count > 1);
    CHECK(report.schema_objects == 2);
  }
}

TEST_CASE("integrity_check: a missing DB is reported and never created") {
  test::TempDir dir;
  const auto report = run_integrity_check(dir / "absent.db", CheckMode::kFull);
  CHECK(report.verdict == CheckVerdict::kMissing);
  CHECK_FALSE(fs::exists(dir / "absent.db"));
  CHECK(fs::is_empty(dir.path()));
}

TEST_CASE("integrity_check: a step error keeps the rows read before it") {
  test::TempDir dir;
  test::make_db(dir / "live.db", 2000);
  const int page = test::page_size_of(dir / "live.db");
  test::overwrite(dir / "live.db", static_cast<std::uintmax_t>(page) * 3, page);
  const auto report = run_integrity_check(dir / "live.db", CheckMode::kFull);
  CHECK(report.verdict == CheckVerdict::kMalformed);
  CHECK_FALSE(report.rows.empty());
  CHECK(report.first_failure() != "ok");
}

TEST_CASE("integrity_check: a page fault's first failure is the fault, not SQLite's `*** in database main ***` header") {
  test::TempDir dir;
  test::make_db(dir / "live.db", 2000);
  const int page = test::page_size_of(dir / "live.db");
  test::overwrite(dir / "live.db", static_cast<std::uintmax_t>(page) * 2, page);  // page 3
  const auto report = run_integrity_check(dir / "live.db", CheckMode::kFull);
  REQUIRE(report.verdict == CheckVerdict::kMalformed);
  // What SQLite gives: one row of many lines, the header first.
  REQUIRE_FALSE(report.rows.empty());
  CHECK(report.rows.front().rfind("*** in database main ***\n", 0) == 0);
  CHECK(report.first_failure() == "Page 3: btreeInitPage() returns error code 11");
  const auto lines = report.failure_lines();
  REQUIRE(lines.size() > 1);
  CHECK(lines.front() == report.first_failure());
  for (const auto& line : lines) {
    CHECK(line.find('\n') == std::string::npos);
    CHECK(line.find("***") == std::string::npos);
  }
}

TEST_CASE("integrity_check: the progress callback can abort a check") {
  test::TempDir dir;
  test::make_db(dir / "live.db", 20000);
  int calls = 0;
  const auto report = run_integrity_check(dir / "live.db", CheckMode::kFull, [&](double, std::int64_t pages) {
    CHECK(pages > 100);
    ++calls;
    return false;
  });
  CHECK(calls >= 1);
  CHECK_FALSE(report.ok());
  CHECK((report.sqlite_code & 0xff) == SQLITE_INTERRUPT);
}

TEST_CASE("integrity_check: a stop request from another thread cuts a full check short") {
  // Most of a full check is one VM step walking the b-trees, where no
  // progress handler runs: only sqlite3_interrupt() reaches it.
  test::TempDir dir;
  test::make_db(dir / "live.db", 60000, 300);
  const auto whole = run_integrity_check(dir / "live.db", CheckMode::kFull);
  REQUIRE(whole.ok());
  std::stop_source stop;
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    stop.request_stop();
  });
  const auto cut = run_integrity_check(dir / "live.db", CheckMode::kFull, {}, stop.get_token());
  stopper.join();
  CAPTURE(whole.seconds);
  CAPTURE(cut.seconds);
  CHECK(cut.stopped);
  CHECK_FALSE(cut.ok());
  CHECK((cut.sqlite_code & 0xff) == SQLITE_INTERRUPT);
  CHECK(cut.seconds < whole.seconds / 2);
  CHECK_FALSE(whole.stopped);
}

TEST_CASE("integrity_check: a stop requested before the check begins ends it at once") {
  test::TempDir dir;
  test::make_db(dir / "live.db", 2000);
  std::stop_source stop;
  stop.request_stop();
  const auto report = run_integrity_check(dir / "live.db", CheckMode::kFull, {}, stop.get_token());
  CHECK(report.stopped);
  CHECK_FALSE(report.ok());
}
