#include "common/progress.hpp"

#include <doctest/doctest.h>

#include "common/backup_store.hpp"
#include "common/integrity_check.hpp"
#include "support/temp_dir.hpp"
#include "support/test_db.hpp"

using namespace es;

TEST_CASE("progress: a backup shows its percent done from the backup API's page counts") {
  test::TempDir dir;
  test::make_db(dir / "live.db", 40000);
  std::vector<std::string> shown;
  ProgressDisplay display("backing up", std::chrono::milliseconds(0), /*terminal=*/true,
                          [&](const std::string& text, bool) { shown.push_back(text); });
  auto taken = BackupStore(dir / "live.db", dir.path())
                   .take(BackupKind::kManual, {5}, Clock::now(), show_backup_progress(display));
  REQUIRE(taken.has_value());
  display.finish();
  REQUIRE(shown.size() >= 2);
  CHECK(shown.front().find("backing up: ") != std::string::npos);
  CHECK(shown.front().find(" %") != std::string::npos);
  CHECK(shown.front().find("pages") != std::string::npos);
  CHECK(shown.back() == "\r\033[K");  // the terminal line is cleared at the end
  CHECK(run_integrity_check(taken->file.path, CheckMode::kFull).ok());
}

TEST_CASE("progress: off a terminal, plain lines at most every 10 s, and nothing in the first second") {
  std::vector<std::string> shown;
  ProgressDisplay display("checking", std::chrono::milliseconds(0), /*terminal=*/false,
                          [&](const std::string& text, bool) { shown.push_back(text); });
  for (int i = 0; i < 100; ++i) display.update(std::nullopt, "x");
  CHECK(shown == std::vector<std::string>{"checking: x"});

  std::vector<std::string> quiet;
  ProgressDisplay slow("checking", std::chrono::milliseconds(1000), true,
                       [&](const std::string& text, bool) { quiet.push_back(text); });
  slow.update(0.5, "fast work");
  slow.finish();
  CHECK(quiet.empty());
}

TEST_CASE("progress: the check shows elapsed time and pages") {
  test::TempDir dir;
  test::make_db(dir / "live.db", 20000);
  std::vector<std::string> shown;
  ProgressDisplay display("checking", std::chrono::milliseconds(0), true,
                          [&](const std::string& text, bool) { shown.push_back(text); });
  const auto report =
      run_integrity_check(dir / "live.db", CheckMode::kFull, show_check_progress(display));
  CHECK(report.ok());
  REQUIRE_FALSE(shown.empty());
  CHECK(shown.front().find("s elapsed, ") != std::string::npos);
  CHECK(shown.front().find(std::to_string(report.page_count) + " pages") != std::string::npos);
}
