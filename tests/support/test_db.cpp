#include "support/test_db.hpp"

#include <sqlite3.h>

#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>

namespace es::test {
namespace fs = std::filesystem;

namespace {
void exec(sqlite3* db, const std::string& sql) {
  char* error = nullptr;
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
    std::string message = error ? error : "unknown";
    sqlite3_free(error);
    throw std::runtime_error("test sql failed: " + sql + ": " + message);
  }
}
}  // namespace

void make_db(const fs::path& path, int rows, int payload_bytes) {
  sqlite3* db = nullptr;
  if (sqlite3_open(path.string().c_str(), &db) != SQLITE_OK) throw std::runtime_error("open " + path.string());
  exec(db, "PRAGMA journal_mode=WAL");
  exec(db, "CREATE TABLE IF NOT EXISTS t(id INTEGER PRIMARY KEY, payload TEXT)");
  exec(db, "CREATE INDEX IF NOT EXISTS t_payload ON t(payload)");
  exec(db, "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < " +
               std::to_string(rows) + ") INSERT INTO t(payload) SELECT printf('%0" +
               std::to_string(payload_bytes) + "d-%d', abs(random()) % 1000000, x) FROM n");
  exec(db, "PRAGMA wal_checkpoint(TRUNCATE)");
  sqlite3_close(db);
}

void make_big_db(const fs::path& path, int megabytes, bool random) {
  sqlite3* db = nullptr;
  if (sqlite3_open(path.string().c_str(), &db) != SQLITE_OK) throw std::runtime_error("open " + path.string());
  exec(db, "PRAGMA journal_mode=WAL");
  exec(db, "CREATE TABLE big(id INTEGER PRIMARY KEY, b BLOB)");
  exec(db, "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < " +
               std::to_string(megabytes) + ") INSERT INTO big(b) SELECT " +
               (random ? "randomblob" : "zeroblob") + "(1048576) FROM n");
  exec(db, "PRAGMA wal_checkpoint(TRUNCATE)");
  sqlite3_close(db);
}

void make_schema_less_db(const fs::path& path) {
  sqlite3* db = nullptr;
  if (sqlite3_open(path.string().c_str(), &db) != SQLITE_OK) throw std::runtime_error("open " + path.string());
  exec(db, "PRAGMA user_version=7");  // writes page 1, and nothing else
  sqlite3_close(db);
}

namespace {

sqlite3* open_writer(const fs::path& path) {
  sqlite3* db = nullptr;
  if (sqlite3_open(path.string().c_str(), &db) != SQLITE_OK) throw std::runtime_error("open " + path.string());
  return db;
}

fs::path staging_folder(const fs::path& db) {
  auto stage = db.parent_path() / (db.filename().string() + ".stage");
  fs::remove_all(stage);
  fs::create_directories(stage);
  return stage;
}

// libstdc++ 12 on Windows refuses copy_file over an existing file with
// "File exists" (it takes every file for the same one: st_ino is 0 there).
void replace_file(const fs::path& from, const fs::path& to) {
  fs::remove(to);
  fs::copy_file(from, to);
}

void copy_side(const fs::path& from_db, const fs::path& to_db, const char* suffix) {
  const auto from = fs::path(from_db.string() + suffix);
  const auto to = fs::path(to_db.string() + suffix);
  fs::remove(to);
  if (fs::exists(from)) fs::copy_file(from, to);
}

}  // namespace

void commit_in_wal_only(const fs::path& db, int rows, int commits) {
  const auto stage = staging_folder(db);
  const auto staged = stage / db.filename();
  fs::copy_file(db, staged);
  sqlite3* writer = open_writer(staged);
  exec(writer, "PRAGMA wal_autocheckpoint=0");
  for (int c = 0; c < commits; ++c) {
    exec(writer, "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < " +
                     std::to_string(rows / commits) +
                     ") INSERT INTO t(payload) SELECT printf('wal-%d-%d', " + std::to_string(c) +
                     ", x) FROM n");
  }
  // The writer is still open: its -wal and -shm are what a kill leaves.
  replace_file(staged, db);
  copy_side(staged, db, "-wal");
  copy_side(staged, db, "-shm");
  sqlite3_close(writer);
  fs::remove_all(stage);
}

void leave_hot_journal(const fs::path& db, int rows) {
  {
    sqlite3* writer = open_writer(db);
    exec(writer, "PRAGMA journal_mode=DELETE");
    sqlite3_close(writer);
  }
  if (rows == 0) return;
  const auto stage = staging_folder(db);
  const auto staged = stage / db.filename();
  fs::copy_file(db, staged);
  sqlite3* writer = open_writer(staged);
  // A one-page cache spills the changed pages into the main file before the
  // commit, with their old contents in the journal.
  exec(writer, "PRAGMA cache_size=1");
  exec(writer, "BEGIN");
  exec(writer, "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < " +
                   std::to_string(rows) +
                   ") INSERT INTO t(payload) SELECT printf('%0300d', x) FROM n");
  replace_file(staged, db);
  copy_side(staged, db, "-journal");
  exec(writer, "ROLLBACK");
  sqlite3_close(writer);
  fs::remove_all(stage);
}

std::map<std::string, std::string> folder_contents(const fs::path& folder) {
  std::map<std::string, std::string> contents;
  for (const auto& entry : fs::directory_iterator(folder)) {
    contents[entry.path().filename().string()] =
        entry.is_regular_file() ? read_file(entry.path()) : std::string("<not a file>");
  }
  return contents;
}

std::int64_t count_rows(const fs::path& path, const std::string& table) {
  return count_rows_where(path, table, "1");
}

std::int64_t count_rows_where(const fs::path& path, const std::string& table,
                              const std::string& condition) {
  sqlite3* db = nullptr;
  sqlite3_open_v2(path.string().c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
  sqlite3_stmt* statement = nullptr;
  std::int64_t count = -1;
  const auto sql = "SELECT count(*) FROM " + table + " WHERE " + condition;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &statement, nullptr) ==
          SQLITE_OK &&
      sqlite3_step(statement) == SQLITE_ROW) {
    count = sqlite3_column_int64(statement, 0);
  }
  sqlite3_finalize(statement);
  sqlite3_close(db);
  return count;
}

int page_size_of(const fs::path& path) {
  const auto header = read_file(path).substr(0, 100);
  const int size = (static_cast<unsigned char>(header[16]) << 8) | static_cast<unsigned char>(header[17]);
  return size == 1 ? 65536 : size;
}

void overwrite(const fs::path& path, std::uintmax_t offset, std::size_t length, int byte) {
  std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
  file.seekp(static_cast<std::streamoff>(offset));
  std::mt19937 random(static_cast<unsigned>(offset));
  for (std::size_t i = 0; i < length; ++i) {
    file.put(static_cast<char>(byte >= 0 ? byte : static_cast<int>(random() & 0xff)));
  }
  if (!file) throw std::runtime_error("overwrite failed on " + path.string());
}

void truncate_to(const fs::path& path, std::uintmax_t size) { fs::resize_file(path, size); }

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

void write_file(const fs::path& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
}

std::string supervisor_binary() { return ES_SUPERVISOR_BINARY; }
std::string demo_engine_binary() { return ES_DEMO_ENGINE_BINARY; }

}  // namespace es::test
