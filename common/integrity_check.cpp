#include "common/integrity_check.hpp"

#include <chrono>
#include <tuple>

#include "common/check_cache.hpp"
#include "common/db_reader.hpp"
#include "common/sqlite_db.hpp"

namespace es {
namespace fs = std::filesystem;

std::string_view to_string(CheckVerdict verdict) {
  switch (verdict) {
    case CheckVerdict::kOk: return "ok";
    case CheckVerdict::kMissing: return "missing";
    case CheckVerdict::kNotADatabase: return "not_a_database";
    case CheckVerdict::kMalformed: return "malformed";
    case CheckVerdict::kLocked: return "locked";
    case CheckVerdict::kUnreadable: return "unreadable";
  }
  return "unreadable";
}

namespace {

// integrity_check puts this line before a b-tree's faults, in the same row:
// it names the schema the faults are in, and is no fault itself.
bool is_database_header(std::string_view line) {
  return line.starts_with("*** in database ") && line.ends_with(" ***");
}

}  // namespace

std::vector<std::string> CheckReport::failure_lines() const {
  std::vector<std::string> lines;
  for (const auto& row : rows) {
    if (row == "ok") continue;
    std::string_view rest = row;
    while (!rest.empty()) {
      const auto end = rest.find('\n');
      const auto line = rest.substr(0, end);
      if (!line.empty() && !is_database_header(line)) lines.emplace_back(line);
      rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
    }
  }
  return lines;
}

std::string CheckReport::first_failure() const {
  if (ok()) return "ok";
  if (verdict == CheckVerdict::kMissing) return "database file does not exist";
  if (auto lines = failure_lines(); !lines.empty()) return std::move(lines.front());
  return error.empty() ? std::string(to_string(verdict)) : error;
}

namespace {

CheckVerdict verdict_for_code(int code) {
  switch (code & 0xff) {
    case SQLITE_NOTADB: return CheckVerdict::kNotADatabase;
    case SQLITE_CORRUPT: return CheckVerdict::kMalformed;
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return CheckVerdict::kLocked;
    case SQLITE_CANTOPEN: return CheckVerdict::kMissing;
    default: return CheckVerdict::kUnreadable;
  }
}

void fail(CheckReport& report, const SqliteDb* db, int code) {
  report.sqlite_code = code;
  report.verdict = verdict_for_code(code);
  report.error = describe_sqlite_code(code);
  if (db) {
    const std::string detail = sqlite3_errmsg(db->get());
    if (detail != sqlite3_errstr(code)) report.error += ": " + detail;
  }
}

// How often (in VM instructions) the progress callback runs: often enough to
// update a display several times a second, rarely enough to cost nothing.
constexpr int kProgressInstructions = 10000;

struct ProgressContext {
  const CheckProgress* progress;
  std::chrono::steady_clock::time_point start;
  std::int64_t page_count;
  std::stop_token stop;
};

int on_progress(void* context) {
  auto* ctx = static_cast<ProgressContext*>(context);
  if (ctx->stop.stop_requested()) return 1;
  if (!*ctx->progress) return 0;
  const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - ctx->start;
  return (*ctx->progress)(elapsed.count(), ctx->page_count) ? 0 : 1;
}

// Reads the check's rows; a step error after some rows keeps those rows
// (a page fault yields one multi-line row, then SQLITE_CORRUPT).
void collect_rows(CheckReport& report, SqliteDb& db) {
  const std::string sql = std::string(report.mode == CheckMode::kFull ? "PRAGMA integrity_check("
                                                                      : "PRAGMA quick_check(") +
                          std::to_string(kMaxCheckRows) + ")";
  auto statement = SqliteStatement::prepare(db, sql);
  if (!statement) return fail(report, &db, sqlite3_errcode(db.get()));
  int rc = SQLITE_ROW;
  while ((rc = statement->step()) == SQLITE_ROW) report.rows.push_back(statement->column_text(0));
  if (rc != SQLITE_DONE) return fail(report, &db, rc);
  const bool clean = report.rows.size() == 1 && report.rows.front() == "ok";
  report.verdict = clean ? CheckVerdict::kOk : CheckVerdict::kMalformed;
}

void read_shape(CheckReport& report, SqliteDb& db) {
  if (auto pages = db.query_int("PRAGMA page_count", "page count")) report.page_count = *pages;
  if (auto objects = db.query_int("SELECT count(*) FROM sqlite_schema", "schema count")) {
    report.schema_objects = *objects;
  }
}

// One check on an open connection: the rows, and the DB's shape if ok.
void check_once(CheckReport& report, SqliteDb& db, const CheckProgress& progress,
                std::chrono::steady_clock::time_point start, std::stop_token stop) {
  // A cache sized to the indexes (check_cache.hpp), freed with this
  // read-only connection. Not mmap: an I/O error in a mapped file is a
  // SIGBUS, which would kill the gate on exactly the damaged DBs it is for.
  // Only a hint: the pragma reads the schema, so on a damaged header it fails,
  // and the check below then reports that damage with its own verdict.
  if (report.mode == CheckMode::kFull) {
    std::ignore = db.execute("PRAGMA cache_size=-" + std::to_string(check_cache_kib(report.db_path, db)),
                             "cache size");
  }
  ProgressContext context{&progress, start, 0, stop};
  if (progress || stop.stop_possible()) {
    if (progress) {
      if (auto pages = db.query_int("PRAGMA page_count", "page count")) context.page_count = *pages;
    }
    sqlite3_progress_handler(db.get(), kProgressInstructions, on_progress, &context);
  }
  {
    // The check spends most of its time in the one VM step that walks the
    // b-trees, where no progress handler runs; sqlite3_interrupt() reaches
    // it from any thread. The handler above catches a stop that comes
    // before that step has begun, which would reset the interrupt.
    const std::stop_callback interrupt(stop, [raw = db.get()] { sqlite3_interrupt(raw); });
    if (!stop.stop_requested()) collect_rows(report, db);
    if (report.ok() && !stop.stop_requested()) read_shape(report, db);
  }
  sqlite3_progress_handler(db.get(), 0, nullptr, nullptr);
}

constexpr int kReadAttempts = 3;

}  // namespace

CheckReport run_integrity_check(const fs::path& db_path, CheckMode mode,
                                const CheckProgress& progress, std::stop_token stop) {
  const auto start = std::chrono::steady_clock::now();
  CheckReport report;
  report.db_path = db_path;
  report.mode = mode;
  const auto finish = [&] {
    report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return report;
  };

  std::error_code ec;
  const auto status = fs::status(db_path, ec);
  if (ec && status.type() != fs::file_type::not_found) {
    // A symlink loop, a folder we may not enter: not "missing".
    report.verdict = CheckVerdict::kUnreadable;
    report.error = db_path.string() + " cannot be examined: " + ec.message();
    return finish();
  }
  if (!fs::exists(status)) {
    report.verdict = CheckVerdict::kMissing;
    return finish();
  }
  if (fs::is_regular_file(status)) report.file_size = fs::file_size(db_path, ec);

  // Read without changing a file (db_reader.hpp). A method that takes no
  // lock on the live files is read again if a writer changed them meanwhile.
  for (int attempt = 1;; ++attempt) {
    auto reader = DbReader::open(db_path);
    if (!reader) {
      report.verdict = reader.error().exit_code == ExitCode::kDbMissing ? CheckVerdict::kMissing
                                                                        : CheckVerdict::kUnreadable;
      report.error = reader.error().message;
      return finish();
    }
    report.read_method = std::string(to_string(reader->method()));
    check_once(report, reader->db(), progress, start, stop);
    if (!reader->disturbed() || stop.stop_requested()) break;
    if (attempt == kReadAttempts) {
      report.verdict = CheckVerdict::kLocked;
      report.sqlite_code = 0;
      report.error = "another process kept writing " + db_path.string() +
                     " while it was read without a lock; stop it and check again";
      break;
    }
    report.rows.clear();
    report.verdict = CheckVerdict::kUnreadable;
    report.error.clear();
    report.sqlite_code = 0;
  }
  report.stopped = stop.stop_requested();
  return finish();
}

}  // namespace es
