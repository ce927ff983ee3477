#include "common/db_checks.hpp"

#include <sqlite3.h>

#include <chrono>
#include <cctype>
#include <cstring>
#include <memory>

#include "common/db_reader.hpp"
#include "common/sqlite_db.hpp"

namespace es {
namespace fs = std::filesystem;

std::string_view to_string(DbCheckPhase phase) {
  return phase == DbCheckPhase::kStartup ? "startup" : "post_session";
}

namespace {

using Clock = std::chrono::steady_clock;

// Only reading is authorised: a check that names a table to write, a pragma
// with a value, ATTACH (which could create a file) or anything else is
// denied when it is prepared, so it never runs. sqlite3_stmt_readonly below
// says the same for what the authorizer cannot see.
int read_only_authorizer(void*, int action, const char*, const char* arg2, const char*, const char*) {
  switch (action) {
    case SQLITE_SELECT:
    case SQLITE_READ:
    case SQLITE_FUNCTION:
    case SQLITE_RECURSIVE:
      return SQLITE_OK;
    case SQLITE_PRAGMA:
      return arg2 == nullptr ? SQLITE_OK : SQLITE_DENY;  // a pragma given a value may set it
    default:
      return SQLITE_DENY;
  }
}

struct Deadline {
  Clock::time_point until;
  std::stop_token stop;
  bool expired = false;
};

int on_progress(void* context) {
  auto* deadline = static_cast<Deadline*>(context);
  if (deadline->stop.stop_requested()) return 1;
  if (Clock::now() >= deadline->until) {
    deadline->expired = true;
    return 1;
  }
  return 0;
}

bool only_space_or_comments(const char* tail) {
  for (const char* at = tail; at && *at;) {
    if (std::isspace(static_cast<unsigned char>(*at))) {
      ++at;
    } else if (at[0] == '-' && at[1] == '-') {
      while (*at && *at != '\n') ++at;
    } else if (at[0] == '/' && at[1] == '*') {
      const char* end = std::strstr(at + 2, "*/");
      if (!end) return true;  // SQLite reads an unclosed comment to the end
      at = end + 2;
    } else if (*at == ';') {
      ++at;
    } else {
      return false;
    }
  }
  return true;
}

std::string row_text(sqlite3_stmt* statement) {
  std::string row;
  for (int column = 0; column < sqlite3_column_count(statement); ++column) {
    if (column > 0) row += " | ";
    const auto* text = sqlite3_column_text(statement, column);
    row += text ? reinterpret_cast<const char*>(text) : "NULL";
  }
  return row;
}

// Runs one check's statement to the end, counting rows and keeping the first.
void evaluate(const DbCheckConfig& check, SqliteDb& db, DbCheckResult& result,
              std::stop_token stop) {
  // A DB the engine has not set up yet (no tables: a first start) has no
  // invariants to break; the check would only fail on "no such table".
  if (auto objects = db.query_int("SELECT count(*) FROM sqlite_schema", "schema count");
      objects && *objects == 0) {
    result.passed = true;
    result.found = "not run: the DB has no tables yet";
    return;
  }
  sqlite3_set_authorizer(db.get(), read_only_authorizer, nullptr);
  sqlite3_stmt* raw = nullptr;
  const char* tail = nullptr;
  const int prepared = sqlite3_prepare_v2(db.get(), check.sql.c_str(),
                                          static_cast<int>(check.sql.size()), &raw, &tail);
  std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> statement(raw, sqlite3_finalize);
  if (prepared != SQLITE_OK) {
    result.error = prepared == SQLITE_AUTH
                       ? "its SQL could change something (only reading is allowed): " +
                             std::string(sqlite3_errmsg(db.get()))
                       : "its SQL does not prepare: " + describe_sqlite_code(prepared) + ": " +
                             sqlite3_errmsg(db.get());
    return;
  }
  if (!statement) {
    result.error = "its SQL holds no statement";
    return;
  }
  if (!only_space_or_comments(tail)) {
    result.error = "its SQL holds more than one statement; a check is one SELECT";
    return;
  }
  if (!sqlite3_stmt_readonly(statement.get())) {
    result.error = "its SQL could write (sqlite3_stmt_readonly says so); a check only reads";
    return;
  }
  Deadline deadline{Clock::now() + std::chrono::seconds(check.timeout_seconds), stop};
  sqlite3_progress_handler(db.get(), 1000, on_progress, &deadline);
  long long rows = 0;
  std::optional<std::string> first_value;
  int rc = SQLITE_ROW;
  while ((rc = sqlite3_step(statement.get())) == SQLITE_ROW) {
    if (rows == 0 && sqlite3_column_count(statement.get()) > 0) {
      const auto* text = sqlite3_column_text(statement.get(), 0);
      first_value = text ? reinterpret_cast<const char*>(text) : "NULL";
    }
    if (rows < kDbCheckRows) result.first_rows.push_back(row_text(statement.get()));
    ++rows;
  }
  sqlite3_progress_handler(db.get(), 0, nullptr, nullptr);
  if (rc != SQLITE_DONE) {
    result.error = deadline.expired
                       ? "it ran longer than its time limit of " +
                             std::to_string(check.timeout_seconds) + " s and was stopped"
                   : stop.stop_requested() ? "a stop was requested while it ran"
                                           : "its SQL failed: " + describe_sqlite_code(rc) + ": " +
                                                 sqlite3_errmsg(db.get());
    return;
  }
  if (check.expect_value) {
    result.found = first_value ? "value " + *first_value : "no value (no rows)";
    result.passed = first_value && *first_value == *check.expect_value;
  } else {
    result.found = rows == 0 ? "no rows" : std::to_string(rows) + (rows == 1 ? " row" : " rows");
    result.passed = rows == 0;
  }
}

}  // namespace

std::string DbCheckResult::headline() const {
  if (!error.empty()) return "check '" + name + "' could not run: " + error;
  if (passed) return "check '" + name + "' passed: " + found;
  return "check '" + name + "' failed: found " + found;
}

std::vector<DbCheckResult> run_db_checks(const fs::path& db_path,
                                         const std::vector<DbCheckConfig>& checks,
                                         DbCheckPhase phase, std::stop_token stop) {
  std::vector<DbCheckResult> results;
  for (const auto& check : checks) {
    const bool applies = phase == DbCheckPhase::kStartup ? check.at_startup : check.after_session;
    if (!applies) continue;
    if (stop.stop_requested()) break;
    DbCheckResult result;
    result.name = check.name;
    result.phase = phase;
    result.refuse = check.refuse;
    const auto start = Clock::now();
    if (auto reader = DbReader::open(db_path)) {
      evaluate(check, reader->db(), result, stop);
    } else {
      result.error = reader.error().message;
    }
    result.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    results.push_back(std::move(result));
  }
  return results;
}

std::string db_check_failure_message(const fs::path& db_path, const DbCheckResult& result) {
  std::string message = "DB check '" + result.name + "' failed — session aborted. The DB passed "
                        "its integrity check, but the application's own invariant does not hold.\n"
                        "  database: " + db_path.string() + "\n  " + result.headline();
  if (!result.first_rows.empty()) {
    message += "\n  first rows:";
    for (const auto& row : result.first_rows) message += "\n    " + row;
  }
  message += "\n  Repair the data the check names (or fix the check in the config), then run "
             "again. Set its on_fail to warn to start the engine anyway.";
  return message;
}

nlohmann::json to_json(const DbCheckResult& result) {
  return {{"name", result.name},
          {"when", to_string(result.phase)},
          {"on_fail", result.refuse ? "refuse" : "warn"},
          {"passed", result.passed},
          {"found", result.found.empty() ? nlohmann::json(nullptr) : nlohmann::json(result.found)},
          {"first_rows", result.first_rows},
          {"error", result.error.empty() ? nlohmann::json(nullptr) : nlohmann::json(result.error)},
          {"seconds", result.seconds}};
}

}  // namespace es
