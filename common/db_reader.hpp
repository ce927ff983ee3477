#pragma once
// A read-only connection to the live DB that changes no file: the DB, its
// -wal, -shm and -journal keep their bytes, and nothing new appears beside
// them. The -shm can be the only evidence of a loss (wal_evidence.hpp).
//
// SQLite has no single way to open like that; the right one depends on the
// side files present (../shared/TECH-NOTES.md has the measured table):
//   kPlain        a rollback-mode DB with no side file: mode=ro creates nothing.
//   kLiveIndex    a -wal with frames and its -shm: mode=ro&readonly_shm=1
//                 reads the WAL through the -shm (a live engine's, too) and
//                 never writes the -shm.
//   kMainFileOnly nothing in a WAL to read (no -wal, or only its header; a
//                 lone -shm; a WAL-mode DB with no side file; a 0-byte main
//                 file): immutable=1 reads the main file and opens nothing
//                 else. A plain mode=ro would create a 0-byte -wal.
//   kPrivateCopy  a -wal with frames but no -shm, or a -journal that SQLite
//                 would roll back: the DB is read from a private folder
//                 holding a link (or copy) of the main file and copies of the
//                 side files, so recovery or rollback happens there. The
//                 folder is removed with the reader.
// kMainFileOnly and kPrivateCopy take no lock on the live files, so a writer
// could change them mid-read: disturbed() says so, and the caller reads again.
//
// Non-regular files (a FIFO, a folder, a device) are refused, never opened:
// opening a FIFO blocks.

#include <filesystem>
#include <memory>
#include <optional>
#include <string_view>

#include "common/result.hpp"
#include "common/sqlite_db.hpp"

namespace es {

enum class ReadMethod { kPlain, kLiveIndex, kMainFileOnly, kPrivateCopy };

std::string_view to_string(ReadMethod method);

// What is beside the DB: enough to choose a method and to see a change.
struct DbFilesState {
  struct File {
    bool present = false;
    bool regular = false;
    std::uintmax_t size = 0;
    std::filesystem::file_time_type modified{};
    bool operator==(const File&) const = default;
  };
  File db, wal, shm, journal;
  bool wal_mode_header = false;  // the main file's header bytes 18-19 say WAL (2)
  bool operator==(const DbFilesState&) const = default;
};

DbFilesState read_db_files_state(const std::filesystem::path& db_path);

// The method for those files. Pure.
ReadMethod choose_read_method(const DbFilesState& state);

class PrivateFolder;

class DbReader {
 public:
  // Fails with the path and cause if the DB or a side file is not a regular
  // file, or if SQLite cannot open it (a missing DB: kDbMissing).
  [[nodiscard]] static Result<DbReader> open(const std::filesystem::path& db_path);

  DbReader(DbReader&&) noexcept;
  DbReader& operator=(DbReader&&) = delete;  // the folder must outlive the old connection
  ~DbReader();

  SqliteDb& db() { return *db_; }
  ReadMethod method() const { return method_; }

  // True if a method without SQLite's locks was used and the live files
  // changed since the open: what was read may mix two states.
  bool disturbed() const;

 private:
  DbReader(std::filesystem::path path, ReadMethod method, DbFilesState state,
           std::unique_ptr<PrivateFolder> folder, SqliteDb db);
  std::filesystem::path path_;
  ReadMethod method_;
  DbFilesState at_open_;
  std::unique_ptr<PrivateFolder> folder_;  // outlives db_: declared first
  std::optional<SqliteDb> db_;
};

}  // namespace es
