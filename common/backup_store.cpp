#include "common/backup_store.hpp"
#include "common/db_reader.hpp"
#include "common/utf8_path.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <limits>
#include <thread>
#include <utility>

#include "common/atomic_file.hpp"
#include "common/byte_copy.hpp"
#include "common/fs_ops.hpp"
#include "common/os_info.hpp"
#include "common/sqlite_db.hpp"

namespace es {
namespace fs = std::filesystem;

namespace {

// A backup step that meets a lock is retried; SQLite documents BUSY and
// LOCKED as transient, everything else as fatal.
constexpr int kMaxBusyRetries = 100;
constexpr auto kBusyPause = std::chrono::milliseconds(50);

// Chunk size when progress is shown: small enough to update a display often,
// large enough that stepping costs nothing measurable.
constexpr int kProgressChunkPages = 2048;

// Space needed beyond the DB and its WAL: SQLite's own scratch, filesystem
// slack. A guess erring towards refusing early over failing half way.
std::uintmax_t space_needed(std::uintmax_t db_bytes) { return db_bytes + db_bytes / 10 + (1u << 20); }

std::uintmax_t size_or_zero(const fs::path& path) {
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  return ec ? 0 : size;
}

class BackupHandle {
 public:
  explicit BackupHandle(sqlite3_backup* backup) : backup_(backup) {}
  BackupHandle(const BackupHandle&) = delete;
  ~BackupHandle() { finish(); }
  sqlite3_backup* get() const { return backup_; }
  int finish() {
    const int rc = backup_ ? sqlite3_backup_finish(backup_) : SQLITE_OK;
    backup_ = nullptr;
    return rc;
  }

 private:
  sqlite3_backup* backup_;
};

Result<void> check_folder(const fs::path& folder, std::uintmax_t db_bytes) {
  std::error_code ec;
  if (!fs::is_directory(folder, ec)) {
    return Error{ExitCode::kIoError,
                 "backup folder " + folder.string() +
                     (fs::exists(folder, ec) ? " is not a folder" : " does not exist") +
                     ". Create it, or set database.backup_dir to a folder that exists."};
  }
  auto space = available_space(folder);
  if (!space) return space.error();
  if (*space < space_needed(db_bytes)) {
    return Error{ExitCode::kIoError,
                 "not enough free space in " + folder.string() + " for a backup: need about " +
                     std::to_string(space_needed(db_bytes) >> 20) + " MiB, " +
                     std::to_string(*space >> 20) + " MiB free. Free some space first."};
  }
  return {};
}

BackupName unused_name(const fs::path& folder, const std::string& db_file, BackupKind kind,
                       Clock::time_point now) {
  BackupName name{kind, std::chrono::floor<std::chrono::seconds>(now), 1};
  std::error_code ec;
  // symlink_status: a dangling link still occupies the name.
  while (fs::exists(fs::symlink_status(folder / format_backup_name(db_file, name), ec))) {
    ++name.sequence;
  }
  return name;
}

// What a backup that was abandoned for a stop request fails with.
Error abandoned(const fs::path& source, const fs::path& target) {
  return Error{ExitCode::kIoError, "backup of " + source.string() + " to " + target.string() +
                                       " abandoned: a stop was requested"};
}

// The copy's quick_check report when it verifies.
Result<CheckReport> verify_copy(const fs::path& source, const fs::path& copy,
                                std::stop_token stop) {
  auto report = run_integrity_check(copy, CheckMode::kQuick, {}, stop);
  if (report.stopped) return abandoned(source, copy);
  if (!report.ok()) {
    return Error{ExitCode::kIoError, "verification of backup " + copy.string() +
                                         " failed: quick_check says: " + report.first_failure()};
  }
  if (report.page_count <= 0) {
    return Error{ExitCode::kIoError,
                 "verification of backup " + copy.string() + " failed: the copy has no pages"};
  }
  return report;
}

// Why a DB with no tables is not backed up, for the log and the summary.
std::string no_tables_reason(const fs::path& db) {
  return "no backup of " + db.string() +
         " was taken: it has no tables (a new, empty DB), so a backup would hold nothing to "
         "restore";
}

// The next step after a failed copy, when it is one the operator can take:
// a full disk. Empty otherwise.
std::string next_step(int rc, const fs::path& target) {
  if ((rc & 0xff) != SQLITE_FULL) return {};
  return ". The disk that holds " + target.parent_path().string() +
         " is full: free some space there first";
}

// Transient while a read transaction starts under a live writer: a lock
// held for a moment, or (a reader that may not write the -shm) a wal-index
// the writer is rewriting just then (SQLITE_READONLY_RECOVERY) or has not
// yet given a read mark this reader can use (SQLITE_READONLY_CANTINIT).
bool transient_at_read_start(int rc) {
  const int primary = rc & 0xff;
  return primary == SQLITE_BUSY || primary == SQLITE_LOCKED || rc == SQLITE_READONLY_RECOVERY ||
         rc == SQLITE_READONLY_CANTINIT;
}

// A read transaction held open on the source for the whole copy: the copy
// reads one fixed snapshot, in any number of chunks. Without it, each
// backup step opens its own read transaction, and a commit by another
// process between two steps restarts the copy from page 1; small steps
// under a busy writer then never finish (issue 11.5, TECH-NOTES). In WAL
// mode the writer goes on meanwhile (the -wal grows until the copy ends);
// in rollback mode its commit waits for the copy, as it would for one step.
class SourceSnapshot {
 public:
  static Result<SourceSnapshot> hold(SqliteDb& source, std::stop_token stop) {
    if (auto begun = source.execute("BEGIN", "starting a read transaction"); !begun) {
      return begun.error();
    }
    SourceSnapshot snapshot(source);
    for (int retries = 0;; ++retries) {
      // Reading any page starts the transaction: the schema's first page.
      const int rc = sqlite3_exec(source.get(), "SELECT count(*) FROM sqlite_schema", nullptr,
                                  nullptr, nullptr);
      if (rc == SQLITE_OK) return snapshot;
      if (!transient_at_read_start(rc) || retries >= kMaxBusyRetries || stop.stop_requested()) {
        return source.error("starting a read transaction", rc);
      }
      std::this_thread::sleep_for(kBusyPause);
    }
  }
  SourceSnapshot(SourceSnapshot&& other) noexcept : source_(std::exchange(other.source_, nullptr)) {}
  SourceSnapshot(const SourceSnapshot&) = delete;
  // Ends the read transaction: a read-only one has nothing to roll back.
  ~SourceSnapshot() {
    if (source_) sqlite3_exec(source_->get(), "ROLLBACK", nullptr, nullptr, nullptr);
  }

 private:
  explicit SourceSnapshot(SqliteDb& source) : source_(&source) {}
  SqliteDb* source_;
};

// A copy from a held snapshot does not restart: SQLite restarts a copy for
// a write through the source's own connection (none: it is read-only) or
// when a new read transaction finds the DB changed (none: it is held). If
// it restarts anyway, it fails after this many times, so a copy always ends.
constexpr int kMaxCopyRestarts = 3;

// The DB's bytes are its snapshot: SQLite would read the main file alone.
bool reads_main_file_alone(ReadMethod method) {
  return method == ReadMethod::kPlain || method == ReadMethod::kMainFileOnly;
}

// One copy. Its `undisturbed` is false if the source was read without a
// lock and a writer changed it meanwhile.
struct CopyAttempt {
  CopiedDb copied;
  bool undisturbed = true;
};

// The copy itself; both connections are closed when it returns.
Result<CopyAttempt> copy_pages(const fs::path& source, const fs::path& target,
                               const BackupProgress& progress, std::stop_token stop) {
  // The live DB is read without changing a file (db_reader.hpp).
  auto reader = DbReader::open(source);
  if (!reader) return reader.error();
  auto* from = &reader->db();
  auto snapshot = SourceSnapshot::hold(*from, stop);
  if (!snapshot) {
    if (stop.stop_requested()) return abandoned(source, target);
    return Error{ExitCode::kIoError, "backup of " + source.string() + " to " + target.string() +
                                         " failed: " + snapshot.error().message};
  }
  // At rest the file is the snapshot: a rollback-mode DB under the held
  // read lock cannot be written; a main file read without a lock is
  // compared with its state at the open (disturbed()), as a page copy is.
  if (reads_main_file_alone(reader->method()) && byte_copy_possible(source)) {
    auto bytes = copy_db_bytes(source, target, progress, stop);
    if (!bytes) {
      if (stop.stop_requested()) return abandoned(source, target);
      return bytes.error();
    }
    return CopyAttempt{CopiedDb{true, std::move(bytes->digest)}, !reader->disturbed()};
  }

  auto to = SqliteDb::open_owned(target, false);
  if (!to) return to.error();
  // The copy is a temporary until AtomicFile::commit() fsyncs it and renames
  // it into place, so SQLite's own syncs of it (journal and file, at every
  // commit) buy nothing: one fsync at the end gives the same guarantee, and
  // saved a quarter of a 10 MB backup's time. A crash before that leaves a
  // .tmp, never a backup.
  if (auto unsynced = to->execute("PRAGMA synchronous=OFF", "turning off syncs of the copy");
      !unsynced) {
    return unsynced.error();
  }

  BackupHandle backup(sqlite3_backup_init(to->get(), "main", from->get(), "main"));
  if (!backup.get()) {
    return to->error("backup of " + source.string() + " to", sqlite3_errcode(to->get()));
  }
  // In chunks when someone watches or may ask to stop: one step cannot be
  // left midway.
  const int pages_per_step = progress || stop.stop_possible() ? kProgressChunkPages : -1;
  int last_remaining = std::numeric_limits<int>::max();
  for (int retries = 0, restarts = 0;;) {
    const int rc = sqlite3_backup_step(backup.get(), pages_per_step);
    if (rc != SQLITE_DONE && stop.stop_requested()) return abandoned(source, target);
    const int remaining = sqlite3_backup_remaining(backup.get());
    if (progress) progress(remaining, sqlite3_backup_pagecount(backup.get()));
    if (remaining > last_remaining && ++restarts > kMaxCopyRestarts) {
      return Error{ExitCode::kIoError,
                   "backup of " + source.string() + " to " + target.string() +
                       " failed: the copy started over " + std::to_string(restarts) +
                       " times: the DB kept changing under its read transaction; try again"};
    }
    last_remaining = remaining;
    if (rc == SQLITE_DONE) break;
    if (rc == SQLITE_OK) continue;
    const int primary = rc & 0xff;
    if ((primary == SQLITE_BUSY || primary == SQLITE_LOCKED) && ++retries <= kMaxBusyRetries) {
      std::this_thread::sleep_for(kBusyPause);
      continue;
    }
    return Error{ExitCode::kIoError, "backup of " + source.string() + " to " + target.string() +
                                         " failed: " + describe_sqlite_code(rc) +
                                         next_step(rc, target)};
  }
  if (const int rc = backup.finish(); rc != SQLITE_OK) {
    return Error{ExitCode::kIoError, "backup of " + source.string() + " to " + target.string() +
                                         " failed: " + describe_sqlite_code(rc) +
                                         next_step(rc, target)};
  }
  // The pages arrive verbatim, WAL flag included; a rollback-journal copy
  // stands alone, with no -wal/-shm beside it.
  auto switched =
      to->execute("PRAGMA journal_mode=DELETE", "switching the copy to rollback journal");
  if (!switched) {
    switched.error().message += next_step(sqlite3_errcode(to->get()), target);
    return switched.error();
  }
  return CopyAttempt{CopiedDb{}, !reader->disturbed()};
}

constexpr int kCopyAttempts = 3;
// How many -N suffixes a backup tries in one second before it gives up.
constexpr int kNameTries = 1000;

}  // namespace

Result<CopiedDb> copy_database(const fs::path& source, const fs::path& target,
                           const BackupProgress& progress, std::stop_token stop) {
  // SQLite's side files of the target are ours to delete only if our own
  // connection made them: none may be there before it opens the target. A
  // journal already there would also be rolled back into the copy.
  std::error_code ec;
  for (const char* suffix : kSqliteSideFileSuffixes) {
    const auto side = with_suffix(target, suffix);
    if (fs::exists(fs::symlink_status(side, ec))) {
      return Error{ExitCode::kIoError, "backup of " + source.string() + " to " + target.string() +
                                           " failed: " + side.string() +
                                           " already exists and is not ours; it was left as it is"};
    }
  }
  Result<CopiedDb> copied = CopiedDb{};
  for (int attempt = 1;; ++attempt) {
    auto pages = copy_pages(source, target, progress, stop);
    if (!pages) {
      copied = pages.error();
      break;
    }
    if (pages->undisturbed) {
      copied = std::move(pages->copied);
      break;
    }
    if (attempt == kCopyAttempts) {
      copied = Error{ExitCode::kIoError,
                     "backup of " + source.string() + " to " + target.string() +
                         " failed: another process kept writing the DB while it was read "
                         "without a lock; stop it and try again"};
      break;
    }
  }
  if (!copied) {
    // A failed write (SQLITE_FULL, say) leaves the pager in its error state,
    // and SQLite then keeps the target's -journal as a hot journal for the
    // next opener. No one will open this target again: its side files go
    // with it, or a partial file would outlive the failed copy.
    for (const char* suffix : kSqliteSideFileSuffixes) (void)remove_file(with_suffix(target, suffix));
  }
  return copied;
}

BackupStore::BackupStore(fs::path db_path, fs::path backup_dir)
    : db_path_(std::move(db_path)), backup_dir_(std::move(backup_dir)) {}

Result<TakenBackup> BackupStore::take(BackupKind kind, const RetentionPolicy& retention,
                                      Clock::time_point now, const BackupProgress& progress,
                                      std::stop_token stop) const {
  auto prepared = prepare(kind, now, progress, stop);
  if (!prepared) return prepared.error();
  return commit(std::move(*prepared), retention, now);
}

void PreparedBackup::accept_gate(std::int64_t schema_objects) {
  awaits_gate_ = false;
  if (schema_objects == 0) skipped_ = no_tables_reason(source_);
}

Result<PreparedBackup> BackupStore::prepare(BackupKind kind, Clock::time_point now,
                                            const BackupProgress& progress, std::stop_token stop,
                                            bool structure_from_gate) const {
  const auto start = std::chrono::steady_clock::now();
  std::error_code ec;
  if (!fs::is_regular_file(db_path_, ec)) {
    return Error{ExitCode::kIoError,
                 "backup of " + db_path_.string() + " failed: the database file does not exist"};
  }
  const auto db_bytes = size_or_zero(db_path_) + size_or_zero(with_suffix(db_path_, "-wal"));
  if (auto folder = check_folder(backup_dir_, db_bytes); !folder) return folder.error();

  const auto db_file = db_path_.filename().string();
  const auto name = unused_name(backup_dir_, db_file, kind, now);
  auto pending = AtomicFile::create(backup_dir_ / format_backup_name(db_file, name));
  if (!pending) {
    return Error{ExitCode::kIoError, "backup of " + db_path_.string() + " failed: " +
                                         pending.error().message};
  }
  auto copied = copy_database(db_path_, pending->temp_path(), progress, stop);
  if (!copied) return copied.error();
  PreparedBackup prepared(std::move(*pending), name);
  prepared.source_ = db_path_;
  if (structure_from_gate && copied->byte_copy) {
    prepared.awaits_gate_ = true;
  } else if (auto verified = verify(prepared, stop); !verified) {
    return verified.error();
  }
  prepared.seconds_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return prepared;
}

Result<void> BackupStore::verify(PreparedBackup& prepared, std::stop_token stop) const {
  const auto start = std::chrono::steady_clock::now();
  auto verified = verify_copy(db_path_, prepared.temp_path(), stop);
  if (!verified) return verified.error();
  prepared.awaits_gate_ = false;
  if (verified->schema_objects == 0) prepared.skipped_ = no_tables_reason(db_path_);
  prepared.seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return {};
}

Result<TakenBackup> BackupStore::commit(PreparedBackup prepared, const RetentionPolicy& retention,
                                        Clock::time_point now) const {
  const auto start = std::chrono::steady_clock::now();
  if (prepared.awaits_gate_) {
    return Error{ExitCode::kIoError, "backup " + prepared.temp_path().string() +
                                         " was not kept: its structure was never checked"};
  }
  if (prepared.skipped_) {
    TakenBackup skipped;
    skipped.skipped = prepared.skipped_;
    return skipped;  // the temporary goes with `prepared`
  }
  // The name chosen before the copy may be taken by now (another backup of
  // this kind in the same second): the rename claims the next free one.
  const auto db_file = db_path_.filename().string();
  auto name = prepared.name_;
  const auto first = name.sequence;
  const auto name_at = [&](int i) {
    name.sequence = first + i;
    return backup_dir_ / format_backup_name(db_file, name);
  };
  if (auto committed = prepared.file_.commit_first_free(name_at, kNameTries); !committed) {
    return committed.error();
  }
  prepared.name_ = name;  // the last one tried: the one claimed
  TakenBackup taken;
  const auto& path = prepared.final_path();
  taken.file = BackupFile{path, prepared.name_, size_or_zero(path), {prepared.name_.stamp, false}};
  taken.deleted = enforce_retention(prepared.name_.kind, retention, path, now, taken.warnings);
  taken.seconds = prepared.seconds_ +
                  std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return taken;
}

std::vector<BackupFile> BackupStore::list(Clock::time_point now) const {
  std::vector<BackupFile> backups;
  std::error_code ec;
  const auto db_file = db_path_.filename().string();
  for (fs::directory_iterator it(backup_dir_, ec), end; !ec && it != end; it.increment(ec)) {
    // Only regular files: a symlink or a folder under a backup name is not
    // something the supervisor made, so it is neither listed nor deleted.
    std::error_code status_error;
    if (!it->is_regular_file(status_error) || it->is_symlink(status_error)) continue;
    const auto name = parse_backup_name(it->path().filename().string(), db_file);
    if (!name) continue;
    std::optional<Clock::time_point> modified;
    if (const auto when = it->last_write_time(status_error); !status_error) {
      modified = std::chrono::time_point_cast<Clock::duration>(std::chrono::file_clock::to_sys(when));
    }
    backups.push_back(
        BackupFile{it->path(), *name, size_or_zero(it->path()), date_backup(*name, modified, now)});
  }
  std::sort(backups.begin(), backups.end(), [](const BackupFile& a, const BackupFile& b) {
    return taken_later(a.name, a.dating, b.name, b.dating);
  });
  return backups;
}

std::size_t BackupStore::count_holding_tables() const {
  std::size_t count = 0;
  for (const auto& backup : list()) {
    auto reader = DbReader::open(backup.path);
    if (!reader) {
      ++count;
      continue;
    }
    const auto objects =
        reader->db().query_int("SELECT count(*) FROM sqlite_schema", "reading the schema");
    if (!objects || *objects > 0) ++count;
  }
  return count;
}

RetentionPolicy retention_policy(const SafeguardsConfig& safeguards) {
  return {safeguards.backup_retention_count, safeguards.backup_keep_daily,
          safeguards.backup_keep_weekly};
}

std::string future_stamp_warning(const BackupFile& backup) {
  return "backup " + backup.path.string() + " is stamped " + iso8601_utc(backup.name.stamp) +
         ", in the future or long after the file was written: the clock was ahead when it was "
         "named. It is kept, never counted as the newest, and ordered " +
         (backup.dating.taken ? "by its modification time, " + iso8601_utc(*backup.dating.taken)
                              : std::string("after every other backup (its real time is unknown)")) +
         ". Check what it holds, then move it out of the backup folder or rename it.";
}

std::vector<DeletedBackup> BackupStore::enforce_retention(BackupKind kind,
                                                          const RetentionPolicy& policy,
                                                          const fs::path& protect,
                                                          Clock::time_point now,
                                                          std::vector<std::string>& warnings) const {
  const auto backups = list(now);
  std::vector<RetentionItem> items;
  for (const auto& backup : backups) {
    items.push_back({backup.name, backup.dating});
    if (backup.dating.future_stamp) warnings.push_back(future_stamp_warning(backup));
  }
  const auto kept = kept_by_policy(items, policy);
  std::vector<DeletedBackup> deleted;
  for (std::size_t i = 0; i < backups.size(); ++i) {
    const auto& backup = backups[i];
    if (kept[i] || backup.name.kind != kind || backup.path == protect) continue;
    if (auto removed = remove_file(backup.path); !removed) {
      warnings.push_back("retention could not delete old backup: " + removed.error().message);
    } else if (*removed) {
      // A backup is the only copy of its data: its deletion is never silent.
      const auto taken = *backup.dating.taken;
      const auto age =
          std::max(std::chrono::floor<std::chrono::seconds>(now - taken), std::chrono::seconds(0));
      spdlog::info("retention deleted backup {} (kind {}, taken {}, {} old): beyond the newest {} "
                   "{} and not the newest of one of the last {} days or {} weeks with backups",
                   backup.path.string(), to_string(kind), iso8601_utc(taken), describe_age(age),
                   policy.newest_per_kind, to_string(kind), policy.daily, policy.weekly);
      deleted.push_back({backup.path, kind, taken, age});
    }
  }
  return deleted;
}

std::vector<CheckedBackup> BackupStore::list_checked(Clock::time_point now) const {
  std::vector<CheckedBackup> checked;
  for (auto& backup : list(now)) {
    const auto report = run_integrity_check(backup.path, CheckMode::kQuick);
    const bool verifies = report.ok() && report.page_count > 0;
    checked.push_back({std::move(backup), verifies, report.first_failure()});
  }
  return checked;
}

std::vector<fs::path> BackupStore::find_stale_temporaries() const {
  std::vector<fs::path> stale;
  const auto db_file = db_path_.filename().string();
  std::error_code ec;
  for (fs::directory_iterator it(backup_dir_, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code status_error;
    if (!it->is_regular_file(status_error) || it->is_symlink(status_error)) continue;
    std::string name = it->path().filename().string();
    for (const char* suffix : {"-journal", ""}) {
      const std::string_view end_text = suffix;
      if (name.size() > end_text.size() && name.ends_with(end_text)) {
        name.resize(name.size() - end_text.size());
        break;
      }
    }
    if (!name.ends_with(".tmp")) continue;
    name.resize(name.size() - 4);
    const auto dot = name.rfind('.');
    if (dot == std::string::npos) continue;
    const std::string pid_text = name.substr(dot + 1);
    if (pid_text.empty() || pid_text.find_first_not_of("0123456789") != std::string::npos ||
        pid_text.size() > 9) {
      continue;
    }
    if (!parse_backup_name(name.substr(0, dot), db_file)) continue;
    const long pid = std::stol(pid_text);
    if (pid == current_process_id() || process_exists(pid)) continue;
    stale.push_back(it->path());
  }
  return stale;
}

std::optional<VerifiedBackup> BackupStore::newest_verified(CheckMode mode,
                                                          Clock::time_point now) const {
  // Backups with a trusted stamp first: one with a future stamp is an
  // anomaly whose mtime may come from a copy made long after its data, so
  // it is chosen only when no other backup verifies.
  const auto backups = list(now);
  for (const bool future_stamp : {false, true}) {
    for (const auto& backup : backups) {
      if (backup.dating.future_stamp != future_stamp) continue;
      auto report = run_integrity_check(backup.path, mode);
      if (report.ok() && report.page_count > 0 && report.schema_objects > 0) {
        return VerifiedBackup{backup, std::move(report)};
      }
    }
  }
  return std::nullopt;
}

}  // namespace es
