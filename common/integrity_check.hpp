#pragma once
// PRAGMA integrity_check / quick_check on a DB file, as a report.
//
// Never creates the DB and never changes its files: a missing file is
// reported without being opened, and an existing one is read through a
// DbReader, which leaves the DB, -wal, -shm and -journal as they were. A failed check is a value (the report), not an Error.
// Blocking; call from one thread per report. A stop requested through the
// token, from any thread, cuts the check short.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <stop_token>
#include <string>
#include <vector>

#include "common/config.hpp"

namespace es {

enum class CheckVerdict {
  kOk,
  kMissing,        // no file at the path
  kNotADatabase,   // SQLITE_NOTADB: "file is not a database"
  kMalformed,      // rows other than "ok", or SQLITE_CORRUPT
  kLocked,         // SQLITE_BUSY / SQLITE_LOCKED past the busy timeout
  kUnreadable,     // any other SQLite or OS error
};

std::string_view to_string(CheckVerdict verdict);

struct CheckReport {
  std::filesystem::path db_path;
  CheckMode mode = CheckMode::kFull;
  CheckVerdict verdict = CheckVerdict::kUnreadable;
  std::vector<std::string> rows;  // up to kMaxRows result rows, kept even after a step error
  int sqlite_code = 0;            // the failing SQLite code, 0 if none
  std::string error;              // SQLite's message for that code
  double seconds = 0;
  std::uintmax_t file_size = 0;
  std::int64_t page_count = 0;
  std::int64_t schema_objects = 0;  // entries in sqlite_schema; 0 for an empty DB
  std::string read_method;  // how the DB was opened (db_reader.hpp), for the record
  bool stopped = false;  // cut short by a stop request: the verdict then means nothing

  bool ok() const { return verdict == CheckVerdict::kOk; }
  // The failure rows as single lines, in SQLite's order, without the
  // `*** in database main ***` headers: a page fault comes back as one row of
  // several lines, and that header is only its first line.
  std::vector<std::string> failure_lines() const;
  // The line an operator reads first, one line: "ok", the first real error
  // (`Page 228: btreeInitPage() returns error code 11`), or the error.
  std::string first_failure() const;
};

inline constexpr int kMaxCheckRows = 100;

// Called now and then during the check with the seconds elapsed and the DB's
// page count; return false to abort it (the report then says
// SQLITE_INTERRUPT). SQLite gives no percentage for a check.
using CheckProgress = std::function<bool(double seconds_elapsed, std::int64_t page_count)>;

CheckReport run_integrity_check(const std::filesystem::path& db_path, CheckMode mode,
                                const CheckProgress& progress = {}, std::stop_token stop = {});

}  // namespace es
