#include "common/sqlite_db.hpp"

#include <utility>

namespace es {
namespace fs = std::filesystem;

namespace {
constexpr int kBusyTimeoutMs = 5000;

std::string_view primary_code_name(int code) {
  switch (code & 0xff) {
    case SQLITE_ERROR:
      return "SQLITE_ERROR";
    case SQLITE_INTERNAL:
      return "SQLITE_INTERNAL";
    case SQLITE_PERM:
      return "SQLITE_PERM";
    case SQLITE_ABORT:
      return "SQLITE_ABORT";
    case SQLITE_BUSY:
      return "SQLITE_BUSY";
    case SQLITE_LOCKED:
      return "SQLITE_LOCKED";
    case SQLITE_NOMEM:
      return "SQLITE_NOMEM";
    case SQLITE_READONLY:
      return "SQLITE_READONLY";
    case SQLITE_INTERRUPT:
      return "SQLITE_INTERRUPT";
    case SQLITE_IOERR:
      return "SQLITE_IOERR";
    case SQLITE_CORRUPT:
      return "SQLITE_CORRUPT";
    case SQLITE_NOTFOUND:
      return "SQLITE_NOTFOUND";
    case SQLITE_FULL:
      return "SQLITE_FULL";
    case SQLITE_CANTOPEN:
      return "SQLITE_CANTOPEN";
    case SQLITE_PROTOCOL:
      return "SQLITE_PROTOCOL";
    case SQLITE_SCHEMA:
      return "SQLITE_SCHEMA";
    case SQLITE_TOOBIG:
      return "SQLITE_TOOBIG";
    case SQLITE_CONSTRAINT:
      return "SQLITE_CONSTRAINT";
    case SQLITE_MISMATCH:
      return "SQLITE_MISMATCH";
    case SQLITE_MISUSE:
      return "SQLITE_MISUSE";
    case SQLITE_NOLFS:
      return "SQLITE_NOLFS";
    case SQLITE_AUTH:
      return "SQLITE_AUTH";
    case SQLITE_RANGE:
      return "SQLITE_RANGE";
    case SQLITE_NOTADB:
      return "SQLITE_NOTADB";
    default:
      return "SQLITE_UNKNOWN";
  }
}

}  // namespace

std::string describe_sqlite_code(int code) {
  return std::string(primary_code_name(code)) + " (" + sqlite3_errstr(code) + ")";
}

std::string sqlite_uri(const fs::path& path, std::string_view query) {
  // sqlite.org/uri.html: "file://" + an empty authority + the absolute path
  // with '/' separators (a drive letter path gets one more '/'), every byte
  // outside the unreserved set percent-encoded, so '?', '#' and '%' in a
  // name stay part of it.
  std::error_code ec;
  auto absolute = fs::absolute(path, ec);
  if (ec) absolute = path;
  const auto u8 = absolute.generic_u8string();
  std::string uri = "file://";
  if (!u8.empty() && u8.front() != u8'/') uri += '/';
  constexpr char kHex[] = "0123456789ABCDEF";
  for (const char8_t c8 : u8) {
    const auto c = static_cast<unsigned char>(c8);
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '/' ||
        c == '-' || c == '_' || c == '.' || c == '~' || c == ':') {
      uri += static_cast<char>(c);
    } else {
      uri += '%';
      uri += kHex[c >> 4];
      uri += kHex[c & 0xf];
    }
  }
  if (!query.empty()) {
    uri += '?';
    uri += query;
  }
  return uri;
}

Result<SqliteDb> SqliteDb::open(const fs::path& path, const std::string& name, int flags) {
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(name.c_str(), &raw, flags, nullptr);
  if (rc != SQLITE_OK) {
    const std::string detail = raw ? sqlite3_errmsg(raw) : "";
    sqlite3_close_v2(raw);
    const auto exit_code =
        (rc & 0xff) == SQLITE_CANTOPEN ? ExitCode::kDbMissing : ExitCode::kIoError;
    return Error{exit_code, "open of " + path.string() + " failed: " + describe_sqlite_code(rc) +
                                (detail.empty() ? "" : ": " + detail)};
  }
  sqlite3_busy_timeout(raw, kBusyTimeoutMs);
  sqlite3_extended_result_codes(raw, 1);
  return SqliteDb(raw, path);
}

Result<SqliteDb> SqliteDb::open_read_only(const fs::path& path, std::string_view uri_query) {
  if (uri_query.empty()) return open(path, path.string(), SQLITE_OPEN_READONLY);
  return open(path, sqlite_uri(path, uri_query), SQLITE_OPEN_READONLY | SQLITE_OPEN_URI);
}

Result<SqliteDb> SqliteDb::open_owned(const fs::path& path, bool create) {
  return open(path, path.string(), SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0));
}

Result<SqliteDb> SqliteDb::open_to_fold_wal(const fs::path& path) {
  return open(path, path.string(), SQLITE_OPEN_READWRITE);
}

Result<SqliteDb> SqliteDb::open_to_roll_back_journal(const fs::path& path) {
  return open(path, path.string(), SQLITE_OPEN_READWRITE);
}

SqliteDb::SqliteDb(sqlite3* db, fs::path path) : db_(db), path_(std::move(path)) {}

SqliteDb::SqliteDb(SqliteDb&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)), path_(std::move(other.path_)) {}

SqliteDb& SqliteDb::operator=(SqliteDb&& other) noexcept {
  if (this != &other) {
    sqlite3_close_v2(db_);
    db_ = std::exchange(other.db_, nullptr);
    path_ = std::move(other.path_);
  }
  return *this;
}

SqliteDb::~SqliteDb() { sqlite3_close_v2(db_); }

Error SqliteDb::error(std::string_view what, int code, ExitCode exit_code) const {
  std::string message =
      std::string(what) + " on " + path_.string() + " failed: " + describe_sqlite_code(code);
  const char* detail = db_ ? sqlite3_errmsg(db_) : nullptr;
  if (detail && std::string_view(detail) != sqlite3_errstr(code))
    message += ": " + std::string(detail);
  return Error{exit_code, message};
}

Result<void> SqliteDb::execute(std::string_view sql, std::string_view what) {
  char* message = nullptr;
  const int rc = sqlite3_exec(db_, std::string(sql).c_str(), nullptr, nullptr, &message);
  sqlite3_free(message);
  if (rc != SQLITE_OK) return error(what, rc);
  return {};
}

Result<std::int64_t> SqliteDb::query_int(std::string_view sql, std::string_view what) {
  auto statement = SqliteStatement::prepare(*this, sql);
  if (!statement) return statement.error();
  const int rc = statement->step();
  if (rc != SQLITE_ROW) return error(what, rc == SQLITE_DONE ? SQLITE_ERROR : rc);
  return statement->column_int(0);
}

Result<SqliteStatement> SqliteStatement::prepare(const SqliteDb& db, std::string_view sql) {
  sqlite3_stmt* raw = nullptr;
  const int rc =
      sqlite3_prepare_v2(db.get(), sql.data(), static_cast<int>(sql.size()), &raw, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(raw);
    return db.error("prepare of '" + std::string(sql) + "'", rc);
  }
  return SqliteStatement(raw);
}

SqliteStatement::SqliteStatement(SqliteStatement&& other) noexcept
    : statement_(std::exchange(other.statement_, nullptr)) {}

SqliteStatement::~SqliteStatement() { sqlite3_finalize(statement_); }

int SqliteStatement::step() { return sqlite3_step(statement_); }

std::string SqliteStatement::column_text(int column) const {
  const auto* text = sqlite3_column_text(statement_, column);
  return text ? reinterpret_cast<const char*>(text) : "";
}

std::int64_t SqliteStatement::column_int(int column) const {
  return sqlite3_column_int64(statement_, column);
}

}  // namespace es
