#include "torture/backup_name_oracle.hpp"

#include <chrono>
#include <cstdint>
#include <regex>

namespace es::torture {
namespace {

bool leap_year(int year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

int days_in_month(int year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && leap_year(year) ? 29 : kDays[month - 1];
}

// Days from 1970-01-01 to a civil date (Howard Hinnant's days_from_civil).
std::int64_t days_from_civil(std::int64_t y, int m, int d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const std::int64_t yoe = y - era * 400;
  const std::int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

// Whether the system clock can hold this second: its count of ticks fits.
bool clock_can_hold(std::int64_t seconds_since_epoch) {
  using Ticks = std::chrono::system_clock::duration;
  constexpr std::int64_t kTicksPerSecond = Ticks::period::den / Ticks::period::num;
  constexpr std::int64_t kMaxTicks = Ticks::max().count();
  return seconds_since_epoch <= kMaxTicks / kTicksPerSecond &&
         seconds_since_epoch >= -(kMaxTicks / kTicksPerSecond);
}

}  // namespace

std::optional<OracleName> oracle_parse(std::string_view file_name, std::string_view db_file_name) {
  // The DB name is compared as text, not put into the regex: DB names hold
  // characters a regex would read as operators.
  if (db_file_name.empty() || file_name.size() <= db_file_name.size() ||
      file_name.substr(0, db_file_name.size()) != db_file_name) {
    return std::nullopt;
  }
  // [0-9], never \d: only ASCII digits count.
  static const std::regex kRest(
      R"(\.(bak|post|manual|live)\.)"                                           // .kind.
      R"((([0-9]{4})([0-9]{2})([0-9]{2})T([0-9]{2})([0-9]{2})([0-9]{2})Z))"  // stamp
      R"((-([1-9][0-9]{0,5}))?)");                                           // -N
  const std::string rest(file_name.substr(db_file_name.size()));
  std::smatch match;
  if (!std::regex_match(rest, match, kRest)) return std::nullopt;
  const int year = std::stoi(match[3]), month = std::stoi(match[4]), day = std::stoi(match[5]);
  const int hour = std::stoi(match[6]), minute = std::stoi(match[7]), second = std::stoi(match[8]);
  if (month < 1 || month > 12 || day < 1 || day > days_in_month(year, month)) return std::nullopt;
  if (hour > 23 || minute > 59 || second > 59) return std::nullopt;
  if (!clock_can_hold(days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 +
                      second)) {
    return std::nullopt;
  }
  const long sequence = match[10].matched ? std::stol(match[10]) : 1;
  if (sequence < 2 && match[9].matched) return std::nullopt;  // "-1": never written
  return OracleName{match[1], match[2], sequence};
}

}  // namespace es::torture
