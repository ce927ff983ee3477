#include <doctest/doctest.h>

#include "common/fs_ops.hpp"
#include "support/temp_dir.hpp"
#include "support/test_db.hpp"

using namespace es;
namespace fs = std::filesystem;

TEST_CASE("fs_ops: remove_file deletes a file, reports a missing one, and never deletes a folder") {
  test::TempDir dir;
  test::write_file(dir / "old.bak", "backup");
  auto deleted = remove_file(dir / "old.bak");
  REQUIRE(deleted.has_value());
  CHECK(*deleted);
  CHECK_FALSE(fs::exists(dir / "old.bak"));

  auto missing = remove_file(dir / "old.bak");
  REQUIRE(missing.has_value());
  CHECK_FALSE(*missing);

  // An empty folder is what std::filesystem::remove would take without a word.
  fs::create_directory(dir / "swapped-in");
  auto folder = remove_file(dir / "swapped-in");
  REQUIRE_FALSE(folder.has_value());
  CHECK(folder.error().message.find((dir / "swapped-in").string()) != std::string::npos);
  CHECK(fs::is_directory(dir / "swapped-in"));
}
