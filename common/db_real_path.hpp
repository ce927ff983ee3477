#pragma once
// Knowing the DB by its file: the configured path is resolved once, when a
// command loads its config, to the DB's real path (real_path.hpp: symlinks
// and `..` resolved), and the side paths the supervisor derives from it
// follow. So a config that names the DB through a symlink, and one that
// names its target, use one lock file, one history, one backups' default
// folder and one set of backup names. What names cannot show (a hard link, a
// bind mount) is caught by the lock on the file itself (db_file_lock.hpp).
// Reads the filesystem, never changes it; no shared state.

#include "common/config.hpp"

namespace es {

// Points `database.path` at the real file. `backup_dir` follows when it was
// the configured DB's own folder (the default: backups beside the DB);
// `path_as_configured` keeps what the config says.
void resolve_db_path(DatabaseConfig& database);

}  // namespace es
