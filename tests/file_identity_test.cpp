#include "common/file_identity.hpp"

#include <doctest/doctest.h>

#include "support/temp_dir.hpp"
#include "support/test_db.hpp"

using namespace es;
namespace fs = std::filesystem;

TEST_CASE("file identity: a missing file has no stamp; a file has its size and a stable identity") {
  test::TempDir dir;
  CHECK_FALSE(stamp_file(dir / "absent").value().has_value());
  test::write_file(dir / "a", "12345");
  const auto first = stamp_file(dir / "a").value();
  REQUIRE(first.has_value());
  CHECK(first->size == 5);
  CHECK(first->modified_ns != 0);
  CHECK(stamp_file(dir / "a").value() == first);  // a look changes nothing
}

TEST_CASE("file identity: another file renamed in under the name has another identity") {
  test::TempDir dir;
  test::write_file(dir / "a", "same");
  test::write_file(dir / "b", "same");
  const auto a = stamp_file(dir / "a").value();
  const auto b = stamp_file(dir / "b").value();
  REQUIRE(a.has_value());
  REQUIRE(b.has_value());
  CHECK(a->identity != b->identity);
  fs::rename(dir / "b", dir / "a");
  CHECK(stamp_file(dir / "a").value()->identity == b->identity);
}

TEST_CASE("file identity: a new mtime shows in the stamp, the identity stays") {
  test::TempDir dir;
  test::write_file(dir / "a", "x");
  const auto before = stamp_file(dir / "a").value();
  fs::last_write_time(dir / "a", fs::last_write_time(dir / "a") - std::chrono::hours(1));
  const auto after = stamp_file(dir / "a").value();
  CHECK(after->identity == before->identity);
  // mingw's libstdc++ sets file times to the second: within one of the hour back.
  const auto moved_back = before->modified_ns - after->modified_ns;
  CHECK(moved_back > 3'599'000'000'000LL);
  CHECK(moved_back < 3'601'000'000'000LL);
}
