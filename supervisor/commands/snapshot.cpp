// `engine-supervisor snapshot DEST`: a consistent, read-only copy of the live
// DB for readers (analysis tools, reports), safe while the engine writes.
// The operating rule: the engine is the sole writer; everything else reads a
// copy like this one, never the live DB.

#include <spdlog/spdlog.h>

#include <algorithm>
#include <iterator>

#include "common/atomic_file.hpp"
#include "common/utf8_path.hpp"
#include "common/backup_name.hpp"
#include "common/backup_store.hpp"
#include "common/console.hpp"
#include "common/fs_ops.hpp"
#include "supervisor/commands/commands.hpp"
#include "supervisor/commands/config_source.hpp"

namespace es {
namespace fs = std::filesystem;

namespace {

// The destinations a snapshot must never take: the live files, and the
// names that belong to backups (retention would one day delete it). The
// live files by where they are, not how they are spelled: "sub/../live.db-journal"
// or a linked folder reach them too, and SQLite would take a copy written
// there for the DB's own journal.
Result<void> check_destination(const fs::path& dest, const fs::path& db) {
  const auto where = [](const fs::path& path) {
    std::error_code ec;
    const auto real = fs::weakly_canonical(path, ec);
    return ec ? path.lexically_normal() : real;
  };
  const auto live = where(db);
  const auto target = where(dest);
  const auto is_live = [&](const char* suffix) { return target == with_suffix(live, suffix); };
  if (is_live("") || std::any_of(std::begin(kSqliteSideFileSuffixes),
                                 std::end(kSqliteSideFileSuffixes), is_live)) {
    return Error{ExitCode::kUsage, "snapshot destination " + dest.string() +
                                       " is the live DB's own file; choose another name"};
  }
  if (parse_backup_name(dest.filename().string(), db.filename().string())) {
    return Error{ExitCode::kUsage, "snapshot destination " + dest.string() +
                                       " has a backup's name, and backup retention may delete "
                                       "it; choose another name"};
  }
  std::error_code ec;
  if (fs::exists(fs::symlink_status(dest, ec))) {
    return Error{ExitCode::kIoError, "snapshot destination " + dest.string() +
                                         " already exists; it is never overwritten"};
  }
  return {};
}

}  // namespace

ExitCode run_snapshot_command(const SnapshotOptions& options) {
  auto target = load_target_and_log(options.target);
  if (!target) return target.error().exit_code;
  const auto& db = target->config.database.path;
  const auto dest = fs::absolute(utf8_path(options.destination)).lexically_normal();
  const auto fail = [](const Error& error) {
    report_failure(error);
    return error.exit_code;
  };
  if (auto ok = check_destination(dest, db); !ok) return fail(ok.error());

  auto file = AtomicFile::create(dest);
  if (!file) return fail(file.error());
  if (auto copied = copy_database(db, file->temp_path()); !copied) return fail(copied.error());
  const auto report = run_integrity_check(file->temp_path(), CheckMode::kQuick);
  if (!report.ok()) {
    return fail(Error{ExitCode::kIoError, "snapshot of " + db.string() + " does not verify: " +
                                              report.first_failure()});
  }
  if (auto committed = file->commit(AtomicFile::Replace::kNever); !committed) {
    return fail(committed.error());
  }
  if (auto read_only = make_read_only(dest); !read_only) return fail(read_only.error());
  spdlog::info("snapshot of {} written, verified and made read-only", db.string());
  console_write(ConsoleStream::kOut, dest.string() + "\n");
  return ExitCode::kSuccess;
}

}  // namespace es
