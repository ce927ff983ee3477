#include "common/db_location.hpp"

#include <algorithm>

#include "common/real_path.hpp"
#include "common/utf8_path.hpp"

namespace es {
namespace fs = std::filesystem;

namespace {

// The folders whose filesystem decides: the real file's first, where the
// -wal and -shm live, then the configured one if a symlink leads elsewhere.
std::vector<fs::path> folders_to_probe(const fs::path& db_path, const fs::path& real) {
  std::vector<fs::path> folders{real.parent_path()};
  if (db_path.parent_path() != real.parent_path()) folders.push_back(db_path.parent_path());
  return folders;
}

}  // namespace

LocationCheck check_db_location(const fs::path& db_path, bool require_local,
                                const FilesystemProbe& probe) {
  LocationCheck check;
  const auto real = real_path(db_path);
  const auto folders = folders_to_probe(db_path, real);
  check.filesystem = probe(folders[0]);
  fs::path network_folder = folders[0];
  for (std::size_t i = 1; i < folders.size() && !check.filesystem.network; ++i) {
    const auto info = probe(folders[i]);
    if (!info.network) continue;
    check.filesystem = info;
    network_folder = folders[i];
  }
  if (!check.filesystem.network) return check;
  const std::string which =
      real == db_path ? "" : " (its real file " + real.string() + ", with the -wal and -shm beside it)";
  const std::string text =
      "the DB " + db_path.string() + which + " is on a network filesystem (" +
      check.filesystem.type + ") at " + network_folder.string() +
      ". SQLite's WAL mode does not work over a network filesystem (sqlite.org/wal.html, "
      "sqlite.org/useovernet.html): that is how live DBs get corrupted.";
  if (!require_local) {
    check.warning = text + " Running anyway because database.require_local_filesystem is false.";
    return check;
  }
  check.refusal = Error{
      ExitCode::kConfigInvalid,
      text + " The engine was not started. Move the DB to a local disk: with the engine stopped, "
             "`engine-supervisor snapshot /local/disk/" +
          db_path.filename().string() +
          " --config <this config>` writes a verified copy there; point database.path at it (and "
          "make the copy writable). To run on the network filesystem anyway, set "
          "database.require_local_filesystem: false (not recommended)."};
  return check;
}

std::vector<fs::path> live_db_files(const fs::path& db_path) {
  return {db_path, with_suffix(db_path, "-wal")};
}

bool is_supervisor(const OpenHolder& holder) {
  // stem: "engine-supervisor.exe" on Windows.
  return fs::path(holder.executable).stem() == "engine-supervisor";
}

std::string describe_open_holders(const std::vector<OpenHolder>& holders) {
  std::string who;
  for (const auto& holder : holders) {
    who += "\n  pid " + std::to_string(holder.pid) + " (" + holder.executable +
           (is_supervisor(holder) ? ": another engine-supervisor" : "") + ") has " +
           holder.file.string() + " open";
    if (!holder.opened_as.empty() && holder.opened_as != holder.file) {
      who += " as " + holder.opened_as.string();
    }
  }
  return who;
}

std::optional<Error> open_elsewhere_error(const fs::path& db_path,
                                          const std::vector<OpenHolder>& holders,
                                          OpenElsewhereFor asker) {
  if (holders.empty()) return std::nullopt;
  const auto who = describe_open_holders(holders);
  if (std::any_of(holders.begin(), holders.end(), is_supervisor)) {
    return Error{ExitCode::kLocked,
                 "another engine-supervisor has the live DB " + db_path.string() +
                     " open: a run of it owns this DB (under this name or another), and the "
                     "engine must be its sole writer:" +
                     who + "\nStop that run first (or wait for it to finish), then start again."};
  }
  return Error{ExitCode::kLocked,
               "other processes have the live DB " + db_path.string() +
                   " open, and the engine must be its sole writer:" + who +
                   (asker == OpenElsewhereFor::kRestore
                        ? "\nStop them, then restore again: a restore never moves the files of a "
                          "DB another process has open (database.refuse_if_open_elsewhere does "
                          "not apply to it)."
                        : "\nStop them (readers should use `engine-supervisor snapshot`), then "
                          "start again. To allow it, set database.refuse_if_open_elsewhere: "
                          "false.")};
}

}  // namespace es
