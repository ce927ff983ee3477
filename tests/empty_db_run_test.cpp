// Issue 11, item 11, through the real binary: a new, empty (0-byte) DB whose
// engine fails on its first start must not lock itself out. On f343d74 the
// failed first run kept a "verified" backup of the empty file, every later
// run then exited 66 ("empty while backups exist"), and the advised restore
// put the same empty DB back: a loop.

#include <doctest/doctest.h>

#include "support/run_fixture.hpp"

using namespace es;
using test::RunFixture;
namespace fs = std::filesystem;

namespace {

// A config whose engine is `command` (a JSON list), in the fixture's folder.
void configure_engine(const RunFixture& f, const nlohmann::json& command) {
  test::write_file(f.config(), "database:\n  path: live.db\n  backup_dir: backups\n"
                               "engine:\n  command: " + command.dump() +
                                   "\nsummary:\n  dir: logs\nlogging:\n  dir: logs\n");
}

std::size_t files_in(const fs::path& folder) {
  std::size_t count = 0;
  for ([[maybe_unused]] const auto& entry : fs::directory_iterator(folder)) ++count;
  return count;
}

}  // namespace

TEST_CASE("issue 11.11: an empty DB whose engine fails on its first start is not locked out; its backups wait for tables") {
  RunFixture f;
  test::write_file(f.db(), "");  // a new DB, as an installer or `touch` leaves it
  const nlohmann::json failing = {"/bin/sh", "-c", "echo cannot bind port >&2; exit 3"};
  configure_engine(f, failing);

  // The first start: the engine fails. No backup of the empty file is kept,
  // and the summary says why.
  auto first = f.run();
  CAPTURE(first.err);
  CHECK(first.exit_code == 1);
  CHECK(files_in(f.dir / "backups") == 0);
  auto health = f.latest_summary()["db_health"];
  CHECK(health["pre_session_backup"].is_null());
  CHECK(health["pre_session_backup_error"].is_null());
  REQUIRE(health["pre_session_backup_skipped"].is_string());
  CHECK(health["pre_session_backup_skipped"].get<std::string>().find("has no tables") !=
        std::string::npos);
  CHECK(first.err.find("pre-session backup skipped") != std::string::npos);
  CHECK(first.err.find("warning: pre-session backup") == std::string::npos);  // expected: info

  // A manual backup of it is refused the same way (66), and leaves nothing.
  auto manual = test::run_command(
      {test::supervisor_binary(), "backup", "--config", f.config().string()}, f.dir.path());
  CHECK(manual.exit_code == 66);
  CHECK(manual.err.find("has no tables") != std::string::npos);
  CHECK(files_in(f.dir / "backups") == 0);

  // The second start is not refused as "empty while backups exist": the
  // engine is started again, and fails again (1, not 66). A table-less
  // backup an older version kept counts for nothing.
  test::make_schema_less_db(f.dir / "backups" / "live.db.bak.20260101T000000Z");
  auto second = f.run();
  CAPTURE(second.err);
  CHECK(second.exit_code == 1);
  CHECK(f.latest_summary()["halt_reason"] == "exit_code:3");

  // The engine is fixed: it sets the DB up and ends clean. The pre-session
  // backup is still skipped (no tables yet), the post-session one is taken.
  configure_engine(f, {test::demo_engine_binary(), "--seconds", "0.3", "--interval-ms", "5"});
  auto fixed = f.run();
  CAPTURE(fixed.err);
  REQUIRE(fixed.exit_code == 0);
  health = f.latest_summary()["db_health"];
  CHECK(health["pre_session_backup_skipped"].is_string());
  REQUIRE(health["post_session_backup"].is_string());
  CHECK(health["post_session_backup_skipped"].is_null());
  const auto post = f.dir / "backups" / health["post_session_backup"].get<std::string>();
  CHECK(test::count_rows(post, "orders") > 0);

  // From now on the DB holds data: emptied (the change between sessions
  // accepted, so that the gate decides), it is refused (66), and the advised
  // restore brings it back for good.
  test::write_file(f.db(), "");
  auto argv = f.run_argv();
  argv.push_back("--accept-changed-db");
  auto emptied = test::run_command(argv, f.dir.path());
  CAPTURE(emptied.err);
  CHECK(emptied.exit_code == 66);
  CHECK(emptied.err.find("1 backup(s) of it that hold tables") != std::string::npos);
  CHECK(emptied.err.find("newest good backup: " + post.string()) != std::string::npos);
  auto restored = test::run_command({test::supervisor_binary(), "restore", "--latest", "--yes",
                                     "--config", f.config().string()},
                                    f.dir.path());
  CAPTURE(restored.err);
  REQUIRE(restored.exit_code == 0);
  CHECK(test::count_rows(f.db(), "orders") == test::count_rows(post, "orders"));
  CHECK(f.run().exit_code == 0);
}
