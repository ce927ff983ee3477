#pragma once
// The two rules about where and how the live DB may be used, checked before
// the engine starts (and reported by `check`):
//  - local disk: SQLite's WAL mode does not work over a network filesystem
//    (sqlite.org/wal.html); the users' live DB was corrupted on an SMB share.
//  - sole writer: no other process may have the DB or its -wal open.
// Blocking; no shared state.

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/filesystem_probe.hpp"
#include "common/result.hpp"

namespace es {

using FilesystemProbe = std::function<FilesystemInfo(const std::filesystem::path& folder)>;

struct LocationCheck {
  FilesystemInfo filesystem;
  std::optional<Error> refusal;  // network filesystem and require_local_filesystem
  std::optional<std::string> warning;  // network filesystem, allowed by config
};

// Probes the folder of the DB's real file (real_path.hpp: through any
// symlink), where SQLite keeps its -wal and -shm, and the configured folder
// when that is another. Network if either is; `filesystem` describes the
// network one, else the real file's. `probe` is injectable so tests can
// stand in an NFS or SMB mount; the default is the real OS call.
LocationCheck check_db_location(const std::filesystem::path& db_path, bool require_local,
                                const FilesystemProbe& probe = probe_filesystem);

struct OpenHolder {
  long pid = 0;
  std::string executable;
  std::filesystem::path file;       // which of the files it has open
  std::filesystem::path opened_as = {};  // the name it opened it by, where the OS tells (Linux)
};

// Other processes (never this one) that have any of `files` open, under any
// name: a hard link, a bind mount or a symlink leads to the same file. On
// Linux from /proc/*/fd, compared by device and inode (processes of other
// users are visible only to root); on Windows from the Restart Manager,
// which answers by the name it is given (the lock on the DB file itself,
// db_file_lock.hpp, covers another supervisor's other names there).
std::vector<OpenHolder> find_open_holders(const std::vector<std::filesystem::path>& files);

// Whether the holder is an engine-supervisor (by its executable's name): a
// run of it owns the DB, which is said as such.
bool is_supervisor(const OpenHolder& holder);

// The live DB and its -wal, the files no one but the engine may hold.
std::vector<std::filesystem::path> live_db_files(const std::filesystem::path& db_path);

// One line per holder, each starting with a newline and indented:
// "\n  pid 123 (/usr/bin/python3) has /srv/live.db-wal open", plus the
// other name it opened the file by, and "another engine-supervisor".
std::string describe_open_holders(const std::vector<OpenHolder>& holders);

// Who asks: the way out differs. A run may be let through by
// database.refuse_if_open_elsewhere; a restore never moves files another
// process has open, whatever it says.
enum class OpenElsewhereFor { kRun, kRestore };

// kLocked, naming each holder by pid and executable, and another
// supervisor among them as such; nullopt if none.
std::optional<Error> open_elsewhere_error(const std::filesystem::path& db_path,
                                          const std::vector<OpenHolder>& holders,
                                          OpenElsewhereFor asker = OpenElsewhereFor::kRun);

}  // namespace es
