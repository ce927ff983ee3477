#include "common/content_digest.hpp"

#include <doctest/doctest.h>

#include "support/temp_dir.hpp"
#include "support/test_db.hpp"

using namespace es;

TEST_CASE("digest: XXH3-128 of known inputs, in canonical hex") {
  test::TempDir dir;
  // The reference values of xxHash 0.8 (XXH3_128bits, seed 0).
  test::write_file(dir / "empty", "");
  test::write_file(dir / "abc", "abc");
  CHECK(digest_file(dir / "empty").value() == "99aa06d3014798d86001c324468d497f");
  CHECK(digest_file(dir / "abc").value() == "06b05ab6733a618578af5f94892f3950");
}

TEST_CASE("digest: a file of several chunks hashes as its bytes, and one byte changes it") {
  test::TempDir dir;
  std::string bytes(9 * 1024 * 1024 + 17, '\0');  // more than nine 1 MiB reads, and a remainder
  for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>((i * 131) >> 7);
  test::write_file(dir / "a", bytes);
  test::write_file(dir / "b", bytes);
  bytes.back() = static_cast<char>(bytes.back() + 1);
  test::write_file(dir / "c", bytes);
  const auto a = digest_file(dir / "a").value();
  CHECK(a.size() == 32);
  CHECK(digest_file(dir / "b").value() == a);
  CHECK(digest_file(dir / "c").value() != a);
}

TEST_CASE("digest: a missing file is an error naming it; a stop request abandons the read") {
  test::TempDir dir;
  const auto missing = digest_file(dir / "absent");
  REQUIRE_FALSE(missing.has_value());
  CHECK(missing.error().exit_code == ExitCode::kIoError);
  CHECK(missing.error().message.find((dir / "absent").string()) != std::string::npos);

  test::write_file(dir / "a", std::string(1024, 'x'));
  std::stop_source stop;
  stop.request_stop();
  const auto stopped = digest_file(dir / "a", stop.get_token());
  REQUIRE_FALSE(stopped.has_value());
  CHECK(stopped.error().message.find("stop requested") != std::string::npos);
}
