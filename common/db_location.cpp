#include "common/db_location.hpp"
#include "common/utf8_path.hpp"

namespace es {
namespace fs = std::filesystem;

LocationCheck check_db_location(const fs::path& db_path, bool require_local,
                                const FilesystemProbe& probe) {
  LocationCheck check;
  const auto folder = db_path.parent_path();
  check.filesystem = probe(folder);
  if (!check.filesystem.network) return check;
  const std::string text =
      "the DB " + db_path.string() + " is on a network filesystem (" + check.filesystem.type +
      "). SQLite's WAL mode does not work over a network filesystem (sqlite.org/wal.html, "
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

std::string describe_open_holders(const std::vector<OpenHolder>& holders) {
  std::string who;
  for (const auto& holder : holders) {
    who += "\n  pid " + std::to_string(holder.pid) + " (" + holder.executable + ") has " +
           holder.file.string() + " open";
  }
  return who;
}

std::optional<Error> open_elsewhere_error(const fs::path& db_path,
                                          const std::vector<OpenHolder>& holders) {
  if (holders.empty()) return std::nullopt;
  const auto who = describe_open_holders(holders);
  return Error{ExitCode::kLocked,
               "other processes have the live DB " + db_path.string() +
                   " open, and the engine must be its sole writer:" + who +
                   "\nStop them (readers should use `engine-supervisor snapshot`), then start "
                   "again. To allow it, set database.refuse_if_open_elsewhere: false."};
}

}  // namespace es
