// `config check` / `config show` and config errors through the real binary.

#include <doctest/doctest.h>

#include "support/temp_dir.hpp"
#include "support/test_db.hpp"

using namespace es;

TEST_CASE("config: `config check` exits 78 naming the key and `config show` fills defaults") {
  test::TempDir dir;
  test::write_file(dir / "bad.yaml", "database:\n  path: live.db\ndb_safeguards:\n"
                                     "  backup_retention_count: 0\n");
  auto bad = test::run_command({test::supervisor_binary(), "config", "check", "--config",
                                (dir / "bad.yaml").string()});
  CHECK(bad.exit_code == 78);
  CHECK(bad.err.find("db_safeguards.backup_retention_count") != std::string::npos);
  CHECK(bad.err.find("line 4") != std::string::npos);

  test::write_file(dir / "good.yaml", "database:\n  path: live.db\n");
  auto show = test::run_command({test::supervisor_binary(), "config", "show", "--config",
                                 (dir / "good.yaml").string()});
  CHECK(show.exit_code == 0);
  CHECK(show.out.find("backup_retention_count: 10") != std::string::npos);
  CHECK(show.out.find((dir / "live.db").string()) != std::string::npos);

  for (const char* command : {"check", "backup", "backups"}) {
    CAPTURE(command);
    auto result = test::run_command({test::supervisor_binary(), command, "--config",
                                     (dir / "bad.yaml").string()});
    CHECK(result.exit_code == 78);
  }
  CHECK(test::run_command({test::supervisor_binary(), "check", "--bogus"}).exit_code == 64);
}

TEST_CASE("a command run from a folder that was deleted says so and exits 64, not an abort") {
  test::TempDir dir;
  test::make_db(dir / "live.db");
  const auto gone = dir / "gone";
  std::filesystem::create_directory(gone);
  for (const std::string& command : {"check --db " + (dir / "live.db").string(),
                                     std::string("check"),
                                     std::string("config check --config c.yaml")}) {
    CAPTURE(command);
    const auto result = test::run_command(
        {"/bin/sh", "-c",
         "cd '" + gone.string() + "' && rmdir '" + gone.string() + "' && exec '" +
             test::supervisor_binary() + "' " + command});
    std::filesystem::create_directory(gone);
    CHECK(result.exit_code == 64);
    CHECK(result.err.find("the current folder cannot be read") != std::string::npos);
    CHECK(result.err.find("terminate called") == std::string::npos);
  }
}
