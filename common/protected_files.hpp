#pragma once
// The files nothing but the supervisor may write for one DB: its own (the
// session lock, the run history, the logs, the session summaries, the
// backups and their temporaries, the evidence folders, the DBs a restore
// moved aside and its temporaries, the config file) and the DB's (the DB
// itself, its -journal, -wal and -shm, which SQLite would read as the DB's).
// A command that writes a file an operator names (`snapshot DEST`) refuses
// these, even when told to replace what is there: a snapshot written over
// the run history turned it into a read-only SQLite file (issue 11, item 16).
//
// Names are matched where they are, not as they are spelled: through `..`,
// a linked folder, a symlink, or (for an existing file) a hard link, and
// case-insensitively, as on Windows. A name the supervisor has not written
// yet (the history before the first run) is refused all the same.
// Reads folders and stats files; never opens or changes one. Blocking; no
// shared state.

#include <filesystem>
#include <optional>
#include <string>

#include "common/config.hpp"

namespace es {

struct ProtectedFiles {
  std::filesystem::path db;
  std::filesystem::path backup_dir;
  std::filesystem::path logging_dir;
  std::filesystem::path summary_dir;
  std::filesystem::path config_file;  // empty with --db
};

ProtectedFiles protected_files_of(const Config& config);

// What `path` is, when it is one of those files ("the run history of this
// DB", "a backup of this DB"), naming the file it is when that is another
// name of it (a hard link). nullopt when the supervisor does not own it.
std::optional<std::string> protected_file_reason(const std::filesystem::path& path,
                                                 const ProtectedFiles& files);

// Why a command that writes a file the operator names (snapshot DEST,
// report --output) must never write `dest`, even when told to replace it:
// one of the files above, or a backup's name anywhere (retention would one
// day delete it). nullopt when it may.
std::optional<std::string> output_refusal(const std::filesystem::path& dest, const Config& config);

}  // namespace es
