#pragma once
// Sets a DB's files aside as evidence, never deleting them.
//
// When the operator accepts a loss (run --accept-data-loss), the -wal and
// -shm that recorded it must not stay beside the DB: SQLite's next open
// would rewrite the -shm, and the next start would find the same loss again.
// They are moved into `<backup_dir>/<db name>.evidence.<stamp>/`, a folder
// the supervisor creates, under their own names. A rename where it can;
// across filesystems a copy that is compared byte for byte before the
// original goes.
// Before the supervisor rolls back a hot journal (hot_journal.hpp), the DB
// and its -journal are copied there instead: the live files stay, and the
// copies keep their bytes as they were before the rollback.
// Blocking; platform-neutral.

#include <filesystem>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "common/time_stamp.hpp"

namespace es {

struct EvidenceAside {
  std::filesystem::path folder;
  std::vector<std::filesystem::path> moved;  // where each file now is
};

// Moves those of `suffixes` ("-wal", "-shm") that exist beside `db_path`.
// Fails, with the file and the OS error, leaving what was not yet moved in
// place; a file is never left in neither place.
// The folder is `<db>.evidence.<stamp>`, or `<db>.evidence.<stamp>-2` (-3,
// ...) when a run in the same second made one.
[[nodiscard]] Result<EvidenceAside> move_side_files_aside(
    const std::filesystem::path& db_path, const std::filesystem::path& backup_dir,
    const std::vector<std::string_view>& suffixes, Clock::time_point now);

// Copies those of `suffixes` ("" for the DB itself, "-journal") that exist
// beside `db_path` into a new evidence folder, each compared byte for byte
// with its original and synced; `moved` then lists the copies. The
// originals are never changed. Fails (kIoError, naming the file and the OS
// error, or the lack of space) before the first copy when the folder's disk
// lacks the room for them all; a failed copy is removed with its folder.
[[nodiscard]] Result<EvidenceAside> copy_files_aside(const std::filesystem::path& db_path,
                                                     const std::filesystem::path& backup_dir,
                                                     const std::vector<std::string_view>& suffixes,
                                                     Clock::time_point now);

}  // namespace es
