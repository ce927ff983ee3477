#include "common/session_lock.hpp"

#include <doctest/doctest.h>

#include "support/temp_dir.hpp"
#include "support/test_db.hpp"

using namespace es;

TEST_CASE("lock: a second holder is refused with 75, naming the first's pid and start") {
  test::TempDir dir;
  auto first = SessionLock::acquire(dir / "live.db");
  REQUIRE(first.has_value());
  REQUIRE(first->record({1234, "run-1", "2026-01-01T00:00:00Z", "2026-01-01T00:01:00Z"}));
  auto second = SessionLock::acquire(dir / "live.db");
  REQUIRE_FALSE(second.has_value());
  CHECK(second.error().exit_code == ExitCode::kLocked);
  CHECK(second.error().message.find("pid 1234") != std::string::npos);
  CHECK(second.error().message.find("started 2026-01-01T00:00:00Z") != std::string::npos);
}

TEST_CASE("lock: released with its owner, and the next holder reads the last heartbeat") {
  test::TempDir dir;
  {
    auto first = SessionLock::acquire(dir / "live.db");
    REQUIRE(first.has_value());
    REQUIRE(first->record({1234, "run-1", "2026-01-01T00:00:00Z", "2026-01-01T00:05:00Z"}));
  }
  auto next = SessionLock::acquire(dir / "live.db");
  REQUIRE(next.has_value());
  REQUIRE(next->previous().has_value());
  CHECK(next->previous()->run_id == "run-1");
  CHECK(next->previous()->heartbeat_at == "2026-01-01T00:05:00Z");
  CHECK(std::filesystem::exists(dir / "live.db.supervisor.lock"));
  CHECK_FALSE(std::filesystem::exists(dir / "live.db"));  // never creates the DB
}
