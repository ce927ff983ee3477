#pragma once
// Move-only owners of SQLite handles, and SQLite error text for messages.
//
// Opening is where context is added: every failure names the operation, the
// path and the SQLite code with its meaning. A connection is used from one
// thread at a time.

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace es {

// "SQLITE_CORRUPT (database disk image is malformed)"
std::string describe_sqlite_code(int code);

class SqliteStatement;

// The file: URI SQLite opens for `path` with `query` ("immutable=1"):
// absolute, '/'-separated, percent-encoded. Pure.
std::string sqlite_uri(const std::filesystem::path& path, std::string_view query);

class SqliteDb {
 public:
  // Opens the live DB to read it. Never creates it, never writes it, never
  // runs WAL recovery against its files: SQLITE_OPEN_READONLY, with a busy
  // timeout so a writer's brief lock is waited out.
  //
  // The operating rule: the engine process is the sole writer of the live DB.
  // The supervisor only ever reads it here; every other reader gets a copy
  // (a backup or a snapshot), never the live file.
  //
  // `uri_query` adds URI parameters ("mode=ro&readonly_shm=1",
  // "immutable=1"): how to read without changing any file depends on the
  // side files present, which DbReader decides.
  [[nodiscard]] static Result<SqliteDb> open_read_only(const std::filesystem::path& path,
                                                       std::string_view uri_query = {});

  // Opens (and creates if `create`) a file the supervisor owns: a backup
  // target, a restored copy. Never used on the live DB.
  [[nodiscard]] static Result<SqliteDb> open_owned(const std::filesystem::path& path, bool create);

  // Opens the live DB read-write, never creating it (no SQLITE_OPEN_CREATE:
  // a missing DB is SQLITE_CANTOPEN, kDbMissing). For one purpose only: the
  // WAL fold after the engine has exited (common/wal_fold), which moves
  // committed pages from the -wal into the main file and adds no content.
  // Nothing else opens the live DB for writing, but the rollback below.
  [[nodiscard]] static Result<SqliteDb> open_to_fold_wal(const std::filesystem::path& path);

  // The same read-write open, never creating the DB, for the other write
  // the supervisor makes: rolling back a hot journal before the gate
  // (common/hot_journal), which SQLite does at the connection's first read.
  // It restores pages from before a transaction that never committed, and
  // adds no content.
  [[nodiscard]] static Result<SqliteDb> open_to_roll_back_journal(const std::filesystem::path& path);

  SqliteDb(SqliteDb&& other) noexcept;
  SqliteDb& operator=(SqliteDb&& other) noexcept;
  SqliteDb(const SqliteDb&) = delete;
  ~SqliteDb();

  sqlite3* get() const { return db_; }
  const std::filesystem::path& path() const { return path_; }

  // Runs statements that return no rows; the Error names `what` and the path.
  [[nodiscard]] Result<void> execute(std::string_view sql, std::string_view what);

  // The first column of the first row as an integer.
  [[nodiscard]] Result<std::int64_t> query_int(std::string_view sql, std::string_view what);

  // Error for a failed call `what` on this connection, with the code.
  Error error(std::string_view what, int code, ExitCode exit_code = ExitCode::kIoError) const;

 private:
  SqliteDb(sqlite3* db, std::filesystem::path path);
  static Result<SqliteDb> open(const std::filesystem::path& path, const std::string& name,
                               int flags);
  sqlite3* db_ = nullptr;
  std::filesystem::path path_;
};

class SqliteStatement {
 public:
  [[nodiscard]] static Result<SqliteStatement> prepare(const SqliteDb& db, std::string_view sql);
  SqliteStatement(SqliteStatement&& other) noexcept;
  SqliteStatement(const SqliteStatement&) = delete;
  ~SqliteStatement();

  // sqlite3_step's result code (SQLITE_ROW, SQLITE_DONE or an error).
  int step();
  std::string column_text(int column) const;
  std::int64_t column_int(int column) const;

 private:
  explicit SqliteStatement(sqlite3_stmt* statement) : statement_(statement) {}
  sqlite3_stmt* statement_ = nullptr;
};

}  // namespace es
