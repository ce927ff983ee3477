#include "common/time_stamp.hpp"

#include <fmt/format.h>

namespace es {
namespace {

std::optional<int> digits(std::string_view text, std::size_t at, std::size_t count) {
  int value = 0;
  for (std::size_t i = at; i < at + count; ++i) {
    if (text[i] < '0' || text[i] > '9') return std::nullopt;
    value = value * 10 + (text[i] - '0');
  }
  return value;
}

std::optional<Clock::time_point> from_fields(int y, int mo, int d, int h, int mi, int s) {
  using namespace std::chrono;
  const year_month_day date{year{y}, month{static_cast<unsigned>(mo)},
                            day{static_cast<unsigned>(d)}};
  if (!date.ok() || h > 23 || mi > 59 || s > 59) return std::nullopt;
  const sys_seconds when = sys_days{date} + hours{h} + minutes{mi} + seconds{s};
  // Clock counts 64-bit nanoseconds on Linux: 1677..2262. A stamp outside
  // (year 9999, year 0000) would overflow on conversion and sort as another
  // time, so retention could take the newest backup for the oldest. No clock
  // wrote such a stamp, so it is not one of ours. duration_cast truncates
  // towards zero: both bounds are whole seconds inside the range.
  constexpr auto kEarliest = duration_cast<seconds>(Clock::duration::min());
  constexpr auto kLatest = duration_cast<seconds>(Clock::duration::max());
  if (when.time_since_epoch() < kEarliest || when.time_since_epoch() > kLatest) {
    return std::nullopt;
  }
  return time_point_cast<Clock::duration>(when);
}

// Reads fields at fixed offsets; `layout` marks digits with '#', every other
// character must match literally.
std::optional<Clock::time_point> parse_layout(std::string_view text, std::string_view layout) {
  if (text.size() != layout.size()) return std::nullopt;
  for (std::size_t i = 0; i < layout.size(); ++i) {
    if (layout[i] != '#' && layout[i] != text[i]) return std::nullopt;
  }
  std::size_t at = 0;
  int fields[6] = {};
  const std::size_t widths[6] = {4, 2, 2, 2, 2, 2};
  for (int f = 0; f < 6; ++f) {
    while (layout[at] != '#') ++at;
    auto value = digits(text, at, widths[f]);
    if (!value) return std::nullopt;
    fields[f] = *value;
    at += widths[f];
  }
  return from_fields(fields[0], fields[1], fields[2], fields[3], fields[4], fields[5]);
}

// The UTC fields of `when` by calendar arithmetic, not gmtime(): the C
// runtime on Windows refuses times before 1970 ("time_t value out of range"),
// and every time the clock holds must have a spelling, as it has a parse.
struct Fields {
  int year;
  unsigned month, day;
  long hours, minutes, seconds;
};

Fields fields_of(Clock::time_point when) {
  using namespace std::chrono;
  const auto second = floor<seconds>(when);
  const auto midnight = floor<days>(second);
  const year_month_day date{midnight};
  const hh_mm_ss time{second - midnight};
  return {static_cast<int>(date.year()), static_cast<unsigned>(date.month()),
          static_cast<unsigned>(date.day()), static_cast<long>(time.hours().count()),
          static_cast<long>(time.minutes().count()), static_cast<long>(time.seconds().count())};
}

}  // namespace

std::string compact_stamp(Clock::time_point when) {
  const auto f = fields_of(when);
  return fmt::format("{:04}{:02}{:02}T{:02}{:02}{:02}Z", f.year, f.month, f.day, f.hours,
                     f.minutes, f.seconds);
}

std::string iso8601_utc(Clock::time_point when) {
  const auto f = fields_of(when);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", f.year, f.month, f.day, f.hours,
                     f.minutes, f.seconds);
}

std::optional<Clock::time_point> parse_compact_stamp(std::string_view text) {
  return parse_layout(text, "########T######Z");
}

std::optional<Clock::time_point> parse_iso8601_utc(std::string_view text) {
  return parse_layout(text, "####-##-##T##:##:##Z");
}

}  // namespace es
