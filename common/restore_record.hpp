#pragma once
// The durable record of a restore under way, `<db>.supervisor-restore.json`
// beside the DB: written before the restore changes anything, rewritten
// before each step that moves a file, removed once the restore has ended.
// A restore killed at any moment leaves it, and the next `run` or `restore`
// reads it and finishes the restore (or undoes it, if the copy was not yet
// complete): restore.hpp's resume_restore().
//
// Every file it names is the DB's name plus a suffix, so the record holds
// suffixes only (ASCII): a DB path that is not UTF-8 still comes back
// byte for byte. Pure data plus its file; portable.

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "common/result.hpp"

namespace es {

struct RestoreRecord {
  std::filesystem::path db;
  std::string backup;              // for the messages and the history only
  std::string staged_suffix;       // the copy under way: `<db>.<pid>.tmp`
  bool staged_complete = false;    // the copy is whole and synced; moves may start
  std::string aside_suffix;        // `.replaced.<stamp>[-n]`, as last claimed
  std::vector<std::string> sides;  // of "", "-wal", "-shm", "-journal": what moves aside

  std::filesystem::path staged() const;
  std::filesystem::path from(const std::string& side) const;
  std::filesystem::path to(const std::string& side) const;
};

std::filesystem::path restore_record_path(const std::filesystem::path& db);

// Atomically and durably (fsync of the file and its folder).
[[nodiscard]] Result<void> write_restore_record(const RestoreRecord& record);

// Removes the temporaries of records whose writer was killed mid-write
// (`<record>.<pid>.tmp` of a process that is gone) first: the record
// before each (or none) still stands.
// nullopt when there is none; an Error (kIoError) naming the file when it
// cannot be read or makes no sense: it is then left as it is.
[[nodiscard]] Result<std::optional<RestoreRecord>> read_restore_record(
    const std::filesystem::path& db);

[[nodiscard]] Result<void> remove_restore_record(const std::filesystem::path& db);

}  // namespace es
