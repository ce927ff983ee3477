#pragma once
// The WAL fold: one self-contained file at rest.
//
// While the engine runs, committed transactions live in the DB's `-wal` until
// a checkpoint copies them into the main file. After an unclean end (the
// engine killed) they stay there until the next run, and a `-wal` that is
// lost or separated from its DB (a sync tool, a manual copy, a terminal
// closed at the wrong time) takes them with it: the lost-WAL incident. So
// once the engine has exited and the post-session quick_check has passed, the
// supervisor folds the WAL: it checkpoints every frame into the main file and
// closes the last connection, which makes SQLite delete the `-wal` and the
// `-shm`. Then the main file alone holds every committed transaction. It
// stays in WAL mode (the file header says so); the engine's next open
// creates a fresh `-wal`.
//
// Why this does not break the rule that the engine is the DB's sole writer:
// the fold adds no content. It runs no SQL that changes a row or the schema;
// it moves pages SQLite has already committed from the `-wal` into the main
// file, as the engine's own close or autocheckpoint would have done. It runs
// only with the engine gone, the session lock held, and no other process
// holding the DB's files (an orphaned child of the engine could): if one
// does, nothing is folded.
//
// Blocking; no shared state; one call at a time per DB (the session lock).

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace es {

// A file left beside (or as) the DB: its name, without the folder, and size.
struct FileAtRest {
  std::string name;
  std::uintmax_t bytes = 0;
};

// The DB and those of its -wal, -shm and -journal that exist, with their
// sizes, in that order. Only stats the files; never opens or creates one.
std::vector<FileAtRest> files_at_rest(const std::filesystem::path& db_path);

enum class FoldStatus {
  kFolded,         // checkpointed, and no -wal or -shm remain
  kNotWal,         // the DB's header says rollback-journal mode: nothing to fold
  kHeldElsewhere,  // another process has the DB, its -wal or -shm open: nothing done
  kFailed,         // unreadable, missing, read-only, or the checkpoint or close failed
};

struct WalFold {
  FoldStatus status = FoldStatus::kFailed;
  // Frames the checkpoint copied into the main file (0 when the -wal held
  // none). Set whenever the checkpoint ran, also if side files remained.
  std::optional<std::int64_t> frames_checkpointed;
  // Why it was not folded, naming the path and the cause (the holders, the
  // SQLite code). Empty for kFolded and kNotWal.
  std::string message;
};

// Folds the WAL of the DB at `db_path` into its main file, as described
// above. REQUIRES: the engine has exited, the caller holds the session lock,
// and the post-session check passed; a caller whose check failed must not
// call this, so that the files stay as evidence.
//
// First reads the main file's header: a DB not in WAL mode, or a 0-byte
// one, is left untouched (kNotWal). Then looks for other processes holding the DB, its
// -wal or -shm (kHeldElsewhere, naming them, and nothing is opened). Then
// opens the DB read-write without ever creating it
// (SqliteDb::open_to_fold_wal), runs a FULL checkpoint to copy and count the
// frames, a TRUNCATE checkpoint to empty the -wal, and closes. kFolded only
// if the -wal and -shm are gone afterwards.
[[nodiscard]] WalFold fold_wal(const std::filesystem::path& db_path);

}  // namespace es
