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
