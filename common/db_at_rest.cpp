#include "common/db_at_rest.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <thread>

#include "common/backup_store.hpp"
#include "common/content_digest.hpp"
#include "common/time_stamp.hpp"
#include "common/utf8_path.hpp"

namespace es {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// How coarse a file time can be: the kernel stamps writes from a clock that
// ticks every few milliseconds (Linux: one jiffy, up to 10 ms; Windows:
// about 15.6 ms), so two writes in one tick get the same mtime and ctime.
constexpr auto kTimeTick = std::chrono::milliseconds(50);
constexpr int kAttempts = 3;

Clock::time_point as_time_point(std::int64_t unix_nanoseconds) {
  return Clock::time_point(
      std::chrono::duration_cast<Clock::duration>(std::chrono::nanoseconds(unix_nanoseconds)));
}

// The stamp, taken when a write after it can no longer share its mtime:
// the wait is at most one tick, and only when the file was written in the
// last tick (a small DB folded just now).
Result<std::optional<FileStamp>> settled_stamp(const fs::path& db) {
  auto first = stamp_file(db);
  if (!first || !*first) return first;
  const auto settled = as_time_point((*first)->modified_ns) + kTimeTick;
  const auto now = Clock::now();
  if (now >= settled) return first;
  // A clock set back must not turn the wait into hours: one tick at most.
  std::this_thread::sleep_for(std::min<Clock::duration>(settled - now, kTimeTick));
  return stamp_file(db);
}

}  // namespace

Result<DbAtRest> look_at_db(const fs::path& db, bool read_digest, std::stop_token stop) {
  for (int attempt = 1;; ++attempt) {
    DbAtRest found;
    auto main = read_digest ? settled_stamp(db) : stamp_file(db);
    if (!main) return main.error();
    found.main = *main;
    for (const char* suffix : kSqliteSideFileSuffixes) {
      auto side = stamp_file(with_suffix(db, suffix));
      if (!side) return side.error();
      if (*side) found.side_files[suffix] = (*side)->size;
    }
    if (!read_digest || !found.main) return found;
    auto digest = digest_file(db, stop);
    if (!digest) return digest.error();
    found.digest = std::move(*digest);
    // The digest holds for the stamp only if no write came while it was
    // read; one that did has moved the mtime past the settled one.
    auto after = stamp_file(db);
    if (!after) return after.error();
    if (*after == found.main) return found;
    if (attempt == kAttempts) {
      return Error{ExitCode::kIoError, db.string() + " changed each of the " +
                                           std::to_string(kAttempts) +
                                           " times it was read: another process is writing it"};
    }
  }
}

std::string iso8601_utc_ns(std::int64_t unix_nanoseconds) {
  constexpr std::int64_t kPerSecond = 1'000'000'000;
  // Floor division: a time before 1970 still has a fraction in [0, 1 s).
  std::int64_t seconds = unix_nanoseconds / kPerSecond;
  std::int64_t fraction = unix_nanoseconds % kPerSecond;
  if (fraction < 0) {
    fraction += kPerSecond;
    --seconds;
  }
  const auto whole = iso8601_utc(Clock::time_point(std::chrono::seconds(seconds)));
  return fmt::format("{}.{:09}Z", whole.substr(0, whole.size() - 1), fraction);
}

json to_json(const DbAtRest& db) {
  json out;
  out["exists"] = db.main.has_value();
  if (db.main) {
    const auto& stamp = *db.main;
    out["size"] = stamp.size;
    out["modified"] = iso8601_utc_ns(stamp.modified_ns);
    out["modified_ns"] = stamp.modified_ns;
    out["changed_ns"] = stamp.changed_ns;
    out["volume"] = stamp.identity.volume;
    out["file_index"] = stamp.identity.index;
    out[kContentDigestName] = db.digest;
  }
  out["side_files"] = db.side_files;
  return out;
}

std::optional<DbAtRest> db_at_rest_from_json(const json& in) {
  // nlohmann throws on a missing key or a wrong type; both make the record
  // unusable, and the caller says so.
  try {
    DbAtRest db;
    if (in.at("exists").get<bool>()) {
      FileStamp stamp;
      stamp.size = in.at("size").get<std::uint64_t>();
      stamp.modified_ns = in.at("modified_ns").get<std::int64_t>();
      stamp.changed_ns = in.at("changed_ns").get<std::int64_t>();
      stamp.identity.volume = in.at("volume").get<std::uint64_t>();
      stamp.identity.index = in.at("file_index").get<std::uint64_t>();
      db.main = stamp;
      db.digest = in.at(kContentDigestName).get<std::string>();
    }
    db.side_files = in.at("side_files").get<std::map<std::string, std::uint64_t>>();
    return db;
  } catch (const json::exception&) {
    return std::nullopt;
  }
}

json db_at_rest_event(const DbAtRest& db, const std::string& recorded_by, const std::string& at,
                      const std::string& run_id) {
  json event = {{"event", "db_at_rest"}, {"recorded_by", recorded_by}, {"at", at}, {"db", to_json(db)}};
  if (!run_id.empty()) event["run_id"] = run_id;
  return event;
}

}  // namespace es
