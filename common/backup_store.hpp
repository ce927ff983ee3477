#pragma once
// The supervisor's backups of one DB: taking them, listing them, and rolling
// retention.
//
// A backup is a consistent copy of one snapshot: a DB at rest byte for byte
// (byte_copy.hpp), any other with the SQLite Online Backup API under one held
// read transaction, so it includes committed WAL content and finishes while
// the engine keeps writing. It is written to a private temporary, verified
// (quick_check ok, page count > 0; for the pre-session copy of a DB at rest,
// read back against the bytes written, with the gate's check of those same
// bytes standing for its quick_check), synced, and only then renamed to its
// final name, which it never overwrites. A failed backup leaves no file
// under a backup name.
//
// A DB with no tables (0 bytes, or an empty schema: a new DB its engine has
// not yet set up) is not backed up: the backup would hold nothing to
// restore, and a backup that exists is taken as evidence that the DB once
// held data (integrity_gate.hpp), which would lock a new DB out. Such a
// backup is "skipped", with the reason, and no file is left.
//
// Retention (backup_retention.hpp decides what it keeps) deletes only
// regular files whose whole name matches this DB's backup pattern for the
// kind just written, never the file just written and never a backup with a
// future stamp. Every deletion is logged (info) with the file, its kind and
// its age, and returned to the caller for the session summary.
// Blocking; one BackupStore per thread.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "common/atomic_file.hpp"
#include "common/backup_name.hpp"
#include "common/backup_retention.hpp"
#include "common/config.hpp"
#include "common/integrity_check.hpp"
#include "common/result.hpp"

namespace es {

// Called during a copy with the pages still to copy and the total.
using BackupProgress = std::function<void(int remaining_pages, int total_pages)>;

struct BackupFile {
  std::filesystem::path path;
  BackupName name;
  std::uintmax_t size = 0;
  BackupDating dating;  // when its data was really taken (backup_retention.hpp)
};

// A backup retention deleted.
struct DeletedBackup {
  std::filesystem::path path;
  BackupKind kind = BackupKind::kManual;
  Clock::time_point taken;
  std::chrono::seconds age{0};  // at the time of the deletion
};

struct TakenBackup {
  // Set when nothing was taken because the DB has no tables: why (one line,
  // naming the DB). `file` is then empty, and retention did not run.
  std::optional<std::string> skipped;
  BackupFile file;
  double seconds = 0;
  std::vector<DeletedBackup> deleted;  // by retention
  // Retention trouble, and backups with a future stamp; the backup itself is fine.
  std::vector<std::string> warnings;
};

// A verified copy under its temporary name, not yet a backup. Destroying it
// without commit() removes the temporary.
class PreparedBackup {
 public:
  PreparedBackup(AtomicFile file, BackupName name) : file_(std::move(file)), name_(name) {}
  const std::filesystem::path& temp_path() const { return file_.temp_path(); }
  const std::filesystem::path& final_path() const { return file_.final_path(); }
  // The copy holds no table: commit() keeps nothing and says why.
  const std::optional<std::string>& skipped() const { return skipped_; }
  // A byte copy whose structure check was left to the gate (prepare()'s
  // `structure_from_gate`): commit() refuses it until accept_gate() or
  // BackupStore::verify() settles it.
  bool awaits_gate() const { return awaits_gate_; }
  // The gate passed on the very bytes this copy holds (the caller knows the
  // DB did not change between them); `schema_objects` is the gate's count.
  void accept_gate(std::int64_t schema_objects);

 private:
  friend class BackupStore;
  AtomicFile file_;
  BackupName name_;
  double seconds_ = 0;
  std::optional<std::string> skipped_;
  bool awaits_gate_ = false;
  std::filesystem::path source_;  // the DB, for the skipped reason
};

// A backup as the listings show it (`backups`, `report`): checked now.
struct CheckedBackup {
  BackupFile file;
  bool verifies = false;  // quick_check ok, and it has pages
  std::string failure;    // quick_check's first complaint, when it does not
};

struct VerifiedBackup {
  BackupFile file;
  CheckReport report;
};

class BackupStore {
 public:
  BackupStore(std::filesystem::path db_path, std::filesystem::path backup_dir);

  const std::filesystem::path& db_path() const { return db_path_; }
  const std::filesystem::path& backup_dir() const { return backup_dir_; }

  // Takes a backup of `kind` named for `now`, then applies `retention` to
  // the backups of that kind, as of `now`. Fails (kIoError, with path and cause) if
  // the folder is missing or unwritable, space is short, SQLite fails, the
  // copy does not verify, or a stop is requested through `stop` (see
  // prepare()); nothing is then left under a backup name.
  [[nodiscard]] Result<TakenBackup> take(BackupKind kind, const RetentionPolicy& retention,
                                         Clock::time_point now = Clock::now(),
                                         const BackupProgress& progress = {},
                                         std::stop_token stop = {}) const;

  // A DB with no tables is not an error: the result's `skipped` says why
  // nothing was taken.
  //
  // take() in two halves, so the copy can be made while the integrity gate
  // runs and be kept only if the gate passes. prepare() copies and verifies
  // under a temporary name; commit() renames it into place, then applies
  // retention (a copy with no tables: commit() removes it and returns
  // `skipped`). A stop requested through `stop` abandons it between chunks
  // of the copy or during its verification, with an error saying so.
  //
  // With `structure_from_gate`, a byte copy (copy_database()) is verified by
  // reading it back against the bytes written, and its quick_check is left
  // to the caller's gate on the same bytes: the gate has just read every
  // page, so a second pass over the copy would find nothing new (issue 14).
  // The caller then calls accept_gate() or verify().
  [[nodiscard]] Result<PreparedBackup> prepare(BackupKind kind,
                                               Clock::time_point now = Clock::now(),
                                               const BackupProgress& progress = {},
                                               std::stop_token stop = {},
                                               bool structure_from_gate = false) const;
  // The quick_check a prepared copy that awaits the gate skipped.
  [[nodiscard]] Result<void> verify(PreparedBackup& prepared, std::stop_token stop = {}) const;
  [[nodiscard]] Result<TakenBackup> commit(PreparedBackup prepared,
                                           const RetentionPolicy& retention,
                                           Clock::time_point now = Clock::now()) const;

  // This DB's backups, newest first by when their data was taken as of
  // `now` (taken_later()); those with a future stamp and no plausible mtime
  // come last. Only regular files with a matching name.
  std::vector<BackupFile> list(Clock::time_point now = Clock::now()) const;

  // list(), each backup checked with quick_check now.
  std::vector<CheckedBackup> list_checked(Clock::time_point now = Clock::now()) const;

  // How many of list()'s backups may hold data: all but those that open and
  // have no tables. Only those are evidence that the DB once held data; an
  // unreadable backup counts (fails closed). Opens each backup read-only.
  std::size_t count_holding_tables() const;

  // Deletes the backups of `kind` that `policy` does not keep, never
  // `protect` and never one with a future stamp. Logs each deletion and
  // returns them; problems, and one warning per backup (of any kind) with a
  // future stamp, are appended to `warnings`.
  std::vector<DeletedBackup> enforce_retention(BackupKind kind, const RetentionPolicy& policy,
                                               const std::filesystem::path& protect,
                                               Clock::time_point now,
                                               std::vector<std::string>& warnings) const;

  // Temporaries a killed backup left behind: names of exactly the form
  // `<this DB's backup name>.<pid>.tmp` (or its -journal) whose process no
  // longer exists. They are only reported, never deleted: a name alone does
  // not prove the supervisor made the file.
  std::vector<std::filesystem::path> find_stale_temporaries() const;

  // The newest backup that passes `mode` check and holds tables (one
  // without them has nothing to restore), if any, in list() order,
  // but a backup with a future stamp only if no other one passes: it never
  // passes for the newest by its name, nor by a copy's recent mtime.
  std::optional<VerifiedBackup> newest_verified(CheckMode mode = CheckMode::kQuick,
                                                Clock::time_point now = Clock::now()) const;

 private:
  std::filesystem::path db_path_;
  std::filesystem::path backup_dir_;
};

// The retention the config asks for (db_safeguards.backup_retention_count,
// backup_keep_daily, backup_keep_weekly).
RetentionPolicy retention_policy(const SafeguardsConfig& safeguards);

// What an operator reads about a backup with a future stamp: which file,
// what its name says, and how it is treated.
std::string future_stamp_warning(const BackupFile& backup);

// Copies the live DB at `source` into `target` (an existing empty file the
// caller owns) with the backup API, and leaves the copy in rollback-journal
// mode so it stands alone without -wal/-shm files. Used by backups,
// snapshots and restores.
//
// The copy reads one snapshot of the source: a read transaction held from
// before the first page to after the last, so a writer in another process
// never restarts it and it finishes in a time bounded by the DB's size
// (in WAL mode the writer goes on meanwhile). Without `progress` or a
// `stop` that can be requested, it is one backup step; with either, it
// goes in chunks, so a percentage can be shown and a stop is seen between
// them. Should SQLite restart it anyway, it fails after a few restarts
// with a message saying so: it never loops.
//
// On failure it removes the SQLite side files (-journal, -wal, -shm) its
// own connection left beside `target`; the caller removes `target`. A full
// disk's message says to free space there. It refuses, touching nothing, if
// such a side file exists before it starts: that one is not its own.
// SQLite's files beside a database it writes.
inline constexpr const char* kSqliteSideFileSuffixes[] = {"-journal", "-wal", "-shm"};

// How a copy was made. A DB that SQLite reads from its main file alone (at
// rest: no WAL frames, no hot journal) is copied byte for byte
// (byte_copy.hpp), held unchanged by a read transaction or checked for a
// change afterwards; any other through the backup API.
struct CopiedDb {
  bool byte_copy = false;
  std::string digest;  // of the copy as written, when byte_copy
};

[[nodiscard]] Result<CopiedDb> copy_database(const std::filesystem::path& source,
                                         const std::filesystem::path& target,
                                         const BackupProgress& progress = {},
                                         std::stop_token stop = {});

}  // namespace es
