#include "common/restore.hpp"
#include "common/utf8_path.hpp"

#include <fstream>
#include <sstream>

#include "common/atomic_file.hpp"
#include "common/backup_store.hpp"
#include "common/fs_ops.hpp"
#include "common/sqlite_db.hpp"

namespace es {
namespace fs = std::filesystem;

namespace {

bool present(const fs::path& path) {
  std::error_code ec;
  return fs::exists(fs::symlink_status(path, ec));
}

// Bytes 18 and 19 of the header are 2 in a WAL-mode database.
bool was_wal(const fs::path& db) {
  std::ifstream in(db, std::ios::binary);
  char header[20] = {};
  return in.read(header, sizeof header) && header[18] == 2 && header[19] == 2;
}

Result<void> stage_copy(const RestorePlan& plan, std::optional<AtomicFile>& staged) {
  auto file = AtomicFile::create(plan.db);
  if (!file) return file.error();
  // Through SQLite, from the backup with its side files: what was verified
  // is what is restored. A `.replaced.` set holds its committed rows in its
  // -wal; a byte copy of the main file alone would drop them. The source's
  // files keep their bytes (db_reader.hpp), and the copy stands alone.
  if (auto copied = copy_database(plan.backup, file->temp_path()); !copied) {
    return Error{ExitCode::kIoError, "restore stopped before any file was moved: " +
                                         copied.error().message};
  }
  std::error_code ec;
  // The restored DB keeps the permissions the engine's DB had.
  if (present(plan.db)) {
    fs::permissions(file->temp_path(), fs::status(plan.db, ec).permissions(),
                    fs::perm_options::replace, ec);
  }
  // Backups stand alone in rollback-journal mode; the DB they replace was
  // most likely in WAL mode, and the engine should find it as it left it.
  if (was_wal(plan.db)) {
    auto copy = SqliteDb::open_owned(file->temp_path(), false);
    if (!copy) return copy.error();
    if (auto wal = copy->execute("PRAGMA journal_mode=WAL", "restoring WAL mode"); !wal) {
      return wal.error();
    }
  }
  staged.emplace(std::move(*file));
  return {};
}

// Every file of the DB's set: a -journal belongs with its DB as much as a
// -wal does (a hot journal left under the live name would be rolled back
// into the restored copy by the engine's first open).
constexpr std::array kSetSuffixes{"", "-wal", "-shm", "-journal"};

// How many -N names a set tries before the restore gives up.
constexpr int kAsideTries = 1000;

// The set's moves to `<db>.replaced.<stamp>` (n = 1), or `…<stamp>-n`.
std::vector<RestoreMove> aside_moves(const std::vector<RestoreMove>& set, const fs::path& db,
                                     const std::string& stamp, int n) {
  const fs::path aside =
      with_suffix(db, ".replaced." + stamp + (n > 1 ? "-" + std::to_string(n) : ""));
  std::vector<RestoreMove> moves;
  for (const auto& move : set) {
    const auto suffix = move.from.string().substr(db.string().size());
    moves.push_back({move.from, with_suffix(aside, suffix.c_str())});
  }
  return moves;
}

// The set's moves under the first -n, from `first` on, where none of its
// names is taken; nullopt if all kAsideTries are.
std::optional<std::vector<RestoreMove>> first_free_moves(const std::vector<RestoreMove>& set,
                                                         const fs::path& db,
                                                         const std::string& stamp, int first) {
  for (int n = first; n <= kAsideTries; ++n) {
    auto moves = aside_moves(set, db, stamp, n);
    if (std::none_of(moves.begin(), moves.end(), [](const auto& m) { return present(m.to); })) {
      return moves;
    }
  }
  return std::nullopt;
}

}  // namespace

RestorePlan plan_restore(const fs::path& db, const fs::path& backup, Clock::time_point now) {
  RestorePlan plan{db, backup, {}, find_backup_gap(db, backup, now)};
  std::vector<RestoreMove> set;
  for (const char* suffix : kSetSuffixes) {
    const fs::path from = with_suffix(db, suffix);
    if (present(from)) set.push_back({from, from});
  }
  if (set.empty()) return plan;
  // The first name free for the whole set: an earlier restore in the same
  // second already has `.replaced.<stamp>`.
  plan.aside_stamp = compact_stamp(now);
  auto free = first_free_moves(set, db, plan.aside_stamp, 1);
  plan.set_aside = free ? std::move(*free) : aside_moves(set, db, plan.aside_stamp, 1);
  return plan;
}

std::string RestorePlan::describe() const {
  std::ostringstream out;
  out << "restore plan:\n";
  // What going back costs, before the steps: the operator decides on this.
  out << "  what the backup lacks: " << lacks.describe() << ".\n";
  out << "  1. copy " << backup.string()
      << " beside the DB through SQLite (with its -wal, if any), fsync it\n";
  int step = 2;
  for (const auto& move : set_aside) {
    out << "  " << step++ << ". move " << move.from.string() << " to " << move.to.string() << "\n";
  }
  if (set_aside.empty()) out << "     (no current DB, -wal or -shm to move aside)\n";
  out << "  " << step++ << ". rename the copy to " << db.string() << ", fsync the folder\n";
  out << "  " << step << ". run integrity_check on " << db.string() << "\n";
  out << "  Nothing is deleted.\n";
  return out.str();
}

Result<void> execute_restore(const RestorePlan& plan, const RestoreStepReport& report,
                             std::vector<RestoreMove>* moved) {
  const auto done = [&](const std::string& line) { return !report || report(line); };
  std::optional<AtomicFile> staged;
  if (auto copied = stage_copy(plan, staged); !copied) return copied.error();
  if (auto synced = sync_file(staged->temp_path()); !synced) return synced.error();
  if (!done("copied " + plan.backup.string() + " to " + staged->temp_path().string())) {
    return Error{ExitCode::kIoError, "restore interrupted after staging the copy"};
  }
  // The first move claims the set's aside name: if it was taken since the
  // plan, the whole set moves on to the next free -N name and claims again.
  auto moves = plan.set_aside;
  for (int n = 2; !moves.empty(); ++n) {
    auto claimed = rename_if_free(moves.front().from, moves.front().to);
    if (!claimed) return Error{ExitCode::kIoError, "restore stopped: " + claimed.error().message};
    if (*claimed) break;
    auto next = first_free_moves(plan.set_aside, plan.db, plan.aside_stamp, n);
    if (!next) {
      return Error{ExitCode::kIoError, "restore stopped: no free .replaced. name for " +
                                           plan.db.string() + " in this second"};
    }
    moves = std::move(*next);
  }
  for (std::size_t i = 0; i < moves.size(); ++i) {
    const auto& move = moves[i];
    // The main file's move was the claim, done above.
    if (i > 0) {
      auto claimed = rename_if_free(move.from, move.to);
      if (!claimed) return Error{ExitCode::kIoError, "restore stopped: " + claimed.error().message};
      if (!*claimed) {
        return Error{ExitCode::kIoError, "restore stopped: " + move.to.string() +
                                             " appeared beside the files already moved aside; " +
                                             move.from.string() + " stays where it is"};
      }
    }
    if (moved) moved->push_back(move);
    if (auto synced = sync_folder(move.to.parent_path()); !synced) return synced.error();
    if (!done("moved " + move.from.string() + " to " + move.to.string())) {
      return Error{ExitCode::kIoError, "restore interrupted after moving " + move.from.string()};
    }
  }
  for (const char* suffix : {"-wal", "-shm", "-journal"}) {
    const fs::path leftover = with_suffix(plan.db, suffix);
    if (present(leftover)) {
      return Error{ExitCode::kIoError,
                   "restore stopped: " + leftover.string() +
                       " appeared under the live name (is something using the DB?). Nothing was "
                       "lost; the restored copy was not put in place."};
    }
  }
  if (auto installed = staged->commit(AtomicFile::Replace::kNever); !installed) {
    return Error{ExitCode::kIoError, "restore stopped: " + installed.error().message};
  }
  done("restored " + plan.backup.string() + " to " + plan.db.string());
  return {};
}

}  // namespace es
