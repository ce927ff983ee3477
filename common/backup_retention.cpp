#include "common/backup_retention.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

namespace es {
namespace {

using std::chrono::days;
using std::chrono::floor;
using std::chrono::sys_days;

// `when` plus `span` without overflow: a stamp near the end of what the
// clock holds (year 2262) must compare, not wrap to 1677.
Clock::time_point saturating_add(Clock::time_point when, Clock::duration span) {
  if (when > Clock::time_point::max() - span) return Clock::time_point::max();
  return when + span;
}

sys_days utc_day(Clock::time_point when) { return floor<days>(when); }

// An ISO week is named by its Monday: weeks run Monday to Sunday, so a
// Sunday belongs with the six days before it.
sys_days iso_week(Clock::time_point when) {
  const auto day = utc_day(when);
  const std::chrono::weekday weekday{day};
  return day - days{weekday.iso_encoding() - 1};
}

// Marks the newest item of each of the first `limit` distinct periods met
// in `newest_first` order.
template <class PeriodOf>
void keep_newest_per_period(const std::vector<RetentionItem>& items,
                            const std::vector<std::size_t>& newest_first, int limit,
                            PeriodOf period_of, std::vector<bool>& kept) {
  std::set<sys_days> seen;
  for (const auto i : newest_first) {
    if (static_cast<int>(seen.size()) >= limit) return;
    if (seen.insert(period_of(*items[i].dating.taken)).second) kept[i] = true;
  }
}

}  // namespace

BackupDating date_backup(const BackupName& name, std::optional<Clock::time_point> modified,
                         Clock::time_point now) {
  const auto latest_plausible = saturating_add(now, kFutureStampTolerance);
  const bool after_now = name.stamp > latest_plausible;
  const bool after_write =
      modified && name.stamp > saturating_add(*modified, kStampAfterWriteMargin);
  if (!after_now && !after_write) return {name.stamp, false};
  // The mtime comes from the same clock as the name when the clock was
  // ahead, so it may be in the future as well; then the time is unknown.
  if (modified && *modified <= latest_plausible) return {*modified, true};
  return {std::nullopt, true};
}

bool taken_later(const BackupName& a_name, const BackupDating& a, const BackupName& b_name,
                 const BackupDating& b) {
  if (a.taken.has_value() != b.taken.has_value()) return a.taken.has_value();
  if (a.taken && *a.taken != *b.taken) return *a.taken > *b.taken;
  if (a_name.newer_than(b_name)) return true;
  if (b_name.newer_than(a_name)) return false;
  return a_name.kind < b_name.kind;  // same second and sequence: any fixed order
}

std::vector<bool> kept_by_policy(const std::vector<RetentionItem>& items,
                                 const RetentionPolicy& policy) {
  std::vector<bool> kept(items.size(), false);
  std::vector<std::size_t> trusted;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (items[i].dating.future_stamp || !items[i].dating.taken) {
      kept[i] = true;  // an anomaly: for an operator to look at, not for retention
    } else {
      trusted.push_back(i);
    }
  }
  std::sort(trusted.begin(), trusted.end(), [&](std::size_t a, std::size_t b) {
    return taken_later(items[a].name, items[a].dating, items[b].name, items[b].dating);
  });

  std::map<BackupKind, int> per_kind;
  for (const auto i : trusted) {
    if (per_kind[items[i].name.kind]++ < policy.newest_per_kind) kept[i] = true;
  }
  // An in-session backup never stands for its day or week: only two of
  // them live, so the day's own backups must not be let go in their favour.
  std::vector<std::size_t> tiered;
  for (const auto i : trusted) {
    if (items[i].name.kind != BackupKind::kLive) tiered.push_back(i);
  }
  keep_newest_per_period(items, tiered, policy.daily, utc_day, kept);
  keep_newest_per_period(items, tiered, policy.weekly, iso_week, kept);
  return kept;
}

std::string describe_age(std::chrono::seconds age) {
  using namespace std::chrono;
  if (age < seconds::zero()) age = seconds::zero();
  const auto d = duration_cast<days>(age);
  const auto h = duration_cast<hours>(age - d);
  const auto m = duration_cast<minutes>(age - d - h);
  const auto s = age - d - h - m;
  if (d.count() > 0) return fmt::format("{} d {:02} h", d.count(), h.count());
  if (h.count() > 0) return fmt::format("{} h {:02} min", h.count(), m.count());
  if (m.count() > 0) return fmt::format("{} min {:02} s", m.count(), s.count());
  return fmt::format("{} s", s.count());
}

}  // namespace es
