#include <doctest/doctest.h>

#include "common/append_file.hpp"
#include "support/temp_dir.hpp"
#include "support/test_db.hpp"

using namespace es;
namespace fs = std::filesystem;

TEST_CASE("append_file: appends reach the file before append() returns, and a reopen appends") {
  test::TempDir dir;
  const auto file = dir / "session.log";
  test::write_file(file, "kept\n");
  {
    auto opened = AppendFile::open(file);
    REQUIRE_MESSAGE(opened.has_value(), opened.error().message);
    const auto first = opened->append("one\n");
    CHECK_FALSE(first.error.has_value());
    CHECK(first.bytes == 4);
    // Still open: nothing waits in a buffer of ours.
    CHECK(test::read_file(file) == "kept\none\n");
    AppendFile moved = std::move(*opened);
    CHECK_FALSE(moved.append("two\n").error.has_value());
    CHECK(moved.path() == file);
  }
  auto again = AppendFile::open(file);
  REQUIRE(again.has_value());
  CHECK_FALSE(again->append("three\n").error.has_value());
  CHECK(test::read_file(file) == "kept\none\ntwo\nthree\n");
}

TEST_CASE("append_file: a file that cannot be opened is an error naming the path") {
  test::TempDir dir;
  const auto file = dir / "no-such-folder" / "session.log";
  const auto opened = AppendFile::open(file);
  REQUIRE_FALSE(opened.has_value());
  CHECK(opened.error().message.find(file.string()) != std::string::npos);
  CHECK_FALSE(fs::exists(file));
}
