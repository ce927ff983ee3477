#include "common/restore.hpp"
#include "common/utf8_path.hpp"

#include <fstream>
#include <sstream>

#include "common/backup_store.hpp"
#include "common/file_owner.hpp"
#include "common/fs_ops.hpp"
#include "common/os_info.hpp"
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

// Into `staged`, which it creates (0600 until the DB's mode is copied).
Result<void> stage_copy(const RestorePlan& plan, const fs::path& staged) {
  if (auto created = create_private_file(staged); !created) return created.error();
  // Through SQLite, from the backup with its side files: what was verified
  // is what is restored. A `.replaced.` set holds its committed rows in its
  // -wal; a byte copy of the main file alone would drop them. The source's
  // files keep their bytes (db_reader.hpp), and the copy stands alone.
  if (auto copied = copy_database(plan.backup, staged); !copied) {
    return Error{ExitCode::kIoError, "restore stopped before any file was moved: " +
                                         copied.error().message};
  }
  std::error_code ec;
  // The restored DB keeps the owner, group and permissions the engine's DB
  // had: a root restore must not leave it root's, read-only to the engine.
  if (present(plan.db)) {
    fs::permissions(staged, fs::status(plan.db, ec).permissions(), fs::perm_options::replace, ec);
    copy_ownership(plan.db, staged);
  }
  // Backups stand alone in rollback-journal mode; the DB they replace was
  // most likely in WAL mode, and the engine should find it as it left it.
  if (was_wal(plan.db)) {
    auto copy = SqliteDb::open_owned(staged, false);
    if (!copy) return copy.error();
    if (auto wal = copy->execute("PRAGMA journal_mode=WAL", "restoring WAL mode"); !wal) {
      return wal.error();
    }
  }
  return sync_file(staged);
}

// The staged copy and what SQLite may have left beside it: all ours.
void remove_staged(const fs::path& staged) {
  for (const char* suffix : {"", "-journal", "-wal", "-shm"}) {
    (void)remove_file(with_suffix(staged, suffix));
  }
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

namespace {

// The side of a move: "" for the main file, "-wal" for its -wal, …
std::string side_of(const RestoreMove& move, const fs::path& db) {
  return move.from.string().substr(db.string().size());
}

// `.replaced.<stamp>[-n]` of a planned move of `side`.
std::string aside_suffix_of(const RestoreMove& move, const fs::path& db, const std::string& side) {
  const auto to = move.to.string();
  return to.substr(db.string().size(), to.size() - db.string().size() - side.size());
}

Error stopped(const std::string& why) { return Error{ExitCode::kIoError, "restore stopped: " + why}; }

// The set's first move claims its aside name, the record saying which
// before the claim: taken since the plan, the set moves on to the next
// free -N name and claims again.
Result<void> claim_aside_name(RestoreRecord& record) {
  std::vector<RestoreMove> set;
  for (const auto& side : record.sides) set.push_back({record.from(side), record.from(side)});
  const auto stamp = record.aside_suffix.substr(std::string_view(".replaced.").size(), 16);
  for (int n = 2;; ++n) {
    if (auto written = write_restore_record(record); !written) return written.error();
    const auto& first = record.sides.front();
    auto claimed = rename_if_free(record.from(first), record.to(first));
    if (!claimed) return stopped(claimed.error().message);
    if (*claimed) return {};
    auto next = first_free_moves(set, record.db, stamp, n);
    if (!next) {
      return stopped("no free .replaced. name for " + record.db.string() + " in this second");
    }
    record.aside_suffix = aside_suffix_of(next->front(), record.db, first);
  }
}

// The claim is the first side's move: done if that file is at its aside
// name and not (or, linked, also) under the live one.
bool moved_already(const RestoreRecord& record, const std::string& side) {
  const auto from = record.from(side);
  const auto to = record.to(side);
  std::error_code ec;
  return present(to) && (!present(from) || fs::equivalent(from, to, ec));
}

// Moves the rest of the set, each file once, whatever was done before a
// kill: a file already at its aside name is done; one at both names (a
// kill between the link and the unlink of rename_if_free) loses its live name.
Result<void> move_set_aside(const RestoreRecord& record, const RestoreStepReport& report,
                            std::vector<RestoreMove>* moved) {
  for (const auto& side : record.sides) {
    const auto from = record.from(side);
    const auto to = record.to(side);
    if (present(from) && moved_already(record, side)) {
      if (auto removed = remove_file(from); !removed) return stopped(removed.error().message);
    } else if (present(from)) {
      auto claimed = rename_if_free(from, to);
      if (!claimed) return stopped(claimed.error().message);
      if (!*claimed) {
        return stopped(to.string() + " appeared beside the files already moved aside; " +
                       from.string() + " stays where it is");
      }
    } else if (!present(to)) {
      continue;  // gone before it was moved: nothing of it to keep
    }
    if (moved) moved->push_back({from, to});
    if (auto synced = sync_folder(to.parent_path()); !synced) return synced.error();
    if (report && !report("moved " + from.string() + " to " + to.string())) {
      return Error{ExitCode::kIoError, "restore interrupted after moving " + from.string()};
    }
  }
  return {};
}

// From a whole staged copy to the restored DB in place; every step may
// have been done already by the restore that was cut off.
Result<void> finish(RestoreRecord record, const RestoreStepReport& report,
                    std::vector<RestoreMove>* moved) {
  if (!record.sides.empty() && !moved_already(record, record.sides.front())) {
    if (auto claimed = claim_aside_name(record); !claimed) return claimed.error();
  }
  if (auto set_aside = move_set_aside(record, report, moved); !set_aside) return set_aside.error();
  for (const char* suffix : {"-wal", "-shm", "-journal"}) {
    const fs::path leftover = with_suffix(record.db, suffix);
    if (present(leftover)) {
      return stopped(leftover.string() +
                     " appeared under the live name (is something using the DB?). Nothing was "
                     "lost; the restored copy was not put in place. The next run or restore "
                     "finishes it once that file is gone.");
    }
  }
  const auto staged = record.staged();
  if (present(staged)) {
    if (auto installed = rename_no_replace(staged, record.db); !installed) {
      return stopped(installed.error().message);
    }
    if (auto synced = sync_folder(record.db.parent_path()); !synced) return synced.error();
  } else if (!present(record.db)) {
    return stopped("the restored copy " + staged.string() + " is gone, and nothing is at " +
                   record.db.string() + "; the old DB is in its .replaced. set");
  }
  if (report) report("restored " + record.backup + " to " + record.db.string());
  return remove_restore_record(record.db);
}

}  // namespace

Result<void> execute_restore(const RestorePlan& plan, const RestoreStepReport& report,
                             std::vector<RestoreMove>* moved) {
  RestoreRecord record{plan.db, plan.backup.string(), {}, false, {}, {}};
  record.staged_suffix = "." + std::to_string(current_process_id()) + ".tmp";
  for (const auto& move : plan.set_aside) record.sides.push_back(side_of(move, plan.db));
  if (!plan.set_aside.empty()) {
    record.aside_suffix = aside_suffix_of(plan.set_aside.front(), plan.db, record.sides.front());
  }
  // The record first: a kill from here on leaves what the next command needs.
  if (auto written = write_restore_record(record); !written) return stopped(written.error().message);
  if (auto copied = stage_copy(plan, record.staged()); !copied) {
    remove_staged(record.staged());
    (void)remove_restore_record(plan.db);
    return copied.error();
  }
  record.staged_complete = true;
  if (auto written = write_restore_record(record); !written) {
    remove_staged(record.staged());
    (void)remove_restore_record(plan.db);
    return stopped(written.error().message);
  }
  if (report && !report("copied " + plan.backup.string() + " to " + record.staged().string())) {
    return Error{ExitCode::kIoError, "restore interrupted after staging the copy"};
  }
  return finish(std::move(record), report, moved);
}

Result<std::optional<ResumedRestore>> resume_restore(const fs::path& db,
                                                     const RestoreStepReport& report) {
  auto read = read_restore_record(db);
  if (!read) return read.error();
  if (!*read) return std::optional<ResumedRestore>{};
  ResumedRestore resumed{std::move(**read), false, {}};
  const auto& record = resumed.record;
  if (!record.staged_complete) {
    // Cut off while copying: nothing was moved yet. The partial copy is ours.
    remove_staged(record.staged());
    if (auto removed = remove_restore_record(db); !removed) return removed.error();
    return std::optional<ResumedRestore>{std::move(resumed)};
  }
  if (auto finished = finish(record, report, &resumed.moved); !finished) return finished.error();
  resumed.finished = true;
  return std::optional<ResumedRestore>{std::move(resumed)};
}

}  // namespace es
