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

TEST_CASE("time_stamp: a stamp the clock cannot hold is rejected, not wrapped to another time") {
  // 64-bit nanoseconds reach 1677-09-21T00:12:44Z .. 2262-04-11T23:47:16Z.
  CHECK(parse_compact_stamp("22620411T234716Z").has_value());
  CHECK(parse_compact_stamp("16770921T001244Z").has_value());
  for (const char* beyond : {"22620411T234717Z", "99991231T235959Z", "16770921T001243Z",
                             "00000101T000000Z"}) {
    CAPTURE(beyond);
    CHECK_FALSE(parse_compact_stamp(beyond).has_value());
  }
  CHECK_FALSE(parse_iso8601_utc("9999-12-31T23:59:59Z").has_value());
  CHECK(*parse_compact_stamp("22620411T234716Z") > *parse_compact_stamp("20260422T142300Z"));
}

TEST_CASE("time_stamp: every time the clock holds has a spelling, before 1970 too") {
  // Windows' C runtime cannot format times before 1970 with gmtime().
  for (const char* stamp : {"16770921T001244Z", "19691231T235959Z", "19700101T000000Z",
                            "20260422T142300Z", "22620411T234716Z"}) {
    CAPTURE(stamp);
    const auto when = es::parse_compact_stamp(stamp);
    REQUIRE(when.has_value());
    CHECK(es::compact_stamp(*when) == stamp);
  }
  const auto before_epoch = es::parse_iso8601_utc("1900-02-28T23:59:59Z");
  REQUIRE(before_epoch.has_value());
  CHECK(es::iso8601_utc(*before_epoch) == "1900-02-28T23:59:59Z");
}
