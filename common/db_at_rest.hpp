#pragma once
// The DB at rest: what the live DB's files are when no process has them
// open, as recorded in the run history at the end of every run (and after a
// restore, and when a run accepts a change). The next start compares the DB
// with the newest such record (db_continuity) before anything opens it.
//
// The record holds the main file's size, modification and change times,
// file identity (device and inode; on Windows volume serial and file index)
// and content digest (XXH3-128), and the size of each side file present
// (-wal, -shm, -journal). Plain values; taking one reads the main file
// through once and never opens it with SQLite, so nothing is changed.

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <stop_token>
#include <string>

#include <nlohmann/json.hpp>

#include "common/file_identity.hpp"
#include "common/result.hpp"

namespace es {

struct DbAtRest {
  std::optional<FileStamp> main;  // nullopt: no file had the DB's name
  std::string digest;             // XXH3-128 of the main file, hex; empty: not read
  std::map<std::string, std::uint64_t> side_files;  // "-wal" -> bytes, for those present

  bool operator==(const DbAtRest&) const = default;
};

// Looks at the DB's files. With `read_digest` the main file is read through
// for its digest, and the stamp and digest agree: the stamp is taken once
// the file's last write is a clock tick old (waiting up to 50 ms), so any
// later write moves the mtime, and it is taken again after the read (a
// write meanwhile means another try, up to 3). kIoError naming the file
// when one cannot be looked at or read, or keeps changing; kUnclean when
// `stop` was requested during the read.
[[nodiscard]] Result<DbAtRest> look_at_db(const std::filesystem::path& db, bool read_digest,
                                          std::stop_token stop = {});

// The history event that records it: {"event": "db_at_rest", "recorded_by":
// run_end | restore, "at", "db": {...}} plus the run id when a run made it.
nlohmann::json db_at_rest_event(const DbAtRest& db, const std::string& recorded_by,
                                const std::string& at, const std::string& run_id = "");

nlohmann::json to_json(const DbAtRest& db);
// nullopt if `json` is not a record this version wrote (a hand edit).
std::optional<DbAtRest> db_at_rest_from_json(const nlohmann::json& json);

// 2026-04-22T14:23:00.123456789Z: the times at the precision they were
// recorded, so two that differ by less than a second still read differently.
std::string iso8601_utc_ns(std::int64_t unix_nanoseconds);

}  // namespace es
