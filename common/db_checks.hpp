#pragma once
// The application's own invariants as gates (config `db_checks:`): named
// read-only SQL an operator writes about the engine's data, such as "every
// session but the newest has ended_at", checked before the engine starts
// and after it exits.
//
// The integrity check proves the file is a sound B-tree; it cannot see that
// the engine's own "close session" write failed on every run. These checks
// can. Each runs on a change-nothing connection (db_reader.hpp), behind an
// authorizer that allows reading only, with a time limit of its own. SQL
// that could write, or more than one statement, fails the check: it is never
// run. Blocking; one thread.

#include <filesystem>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/config.hpp"

namespace es {

enum class DbCheckPhase { kStartup, kPostSession };

std::string_view to_string(DbCheckPhase phase);

struct DbCheckResult {
  std::string name;
  DbCheckPhase phase = DbCheckPhase::kStartup;
  bool refuse = false;  // on_fail: refuse
  bool passed = false;
  // What the check found, one line: "no rows", "3 rows", "value 0", or "no
  // value (no rows)". Empty when it could not run (see error).
  std::string found;
  std::vector<std::string> first_rows;  // up to kDbCheckRows, columns joined by " | "
  std::string error;                    // why it could not run; empty when it ran
  double seconds = 0;

  // "check 'sessions_closed' failed: found 2 rows" and so on, one line.
  std::string headline() const;
};

inline constexpr int kDbCheckRows = 5;

// Runs the checks of `checks` that apply to `phase`, in order, each on its
// own read-only connection to `db_path`. A stop request ends the one running
// and skips the rest (they are left out of the result).
std::vector<DbCheckResult> run_db_checks(const std::filesystem::path& db_path,
                                         const std::vector<DbCheckConfig>& checks,
                                         DbCheckPhase phase, std::stop_token stop = {});

// The failing check `result` as the message an operator reads: the check,
// what it found, its first rows, and the next step.
std::string db_check_failure_message(const std::filesystem::path& db_path,
                                     const DbCheckResult& result);

nlohmann::json to_json(const DbCheckResult& result);

}  // namespace es
