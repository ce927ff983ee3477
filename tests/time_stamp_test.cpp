#include "common/time_stamp.hpp"

#include <doctest/doctest.h>

using namespace es;

TEST_CASE("time_stamp: compact and ISO stamps are UTC and round-trip") {
  const auto when = Clock::time_point(std::chrono::seconds(1776867780));  // 2026-04-22T14:23:00Z
  CHECK(compact_stamp(when) == "20260422T142300Z");
  CHECK(iso8601_utc(when) == "2026-04-22T14:23:00Z");
  CHECK(parse_compact_stamp("20260422T142300Z") == when);
  CHECK(parse_iso8601_utc("2026-04-22T14:23:00Z") == when);
}

TEST_CASE("time_stamp: malformed stamps are rejected") {
  for (const char* bad : {"", "20260422T142300", "20261322T142300Z", "20260230T000000Z",
                          "20260422T246000Z", "2026042xT142300Z", "20260422T142300Z ",
                          "20260422t142300Z"}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_compact_stamp(bad).has_value());
  }
}
