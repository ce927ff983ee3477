// `engine-supervisor snapshot DEST`: a consistent, read-only copy of the live
// DB for readers (analysis tools, reports), safe while the engine writes.
// The operating rule: the engine is the sole writer; everything else reads a
// copy like this one, never the live DB.

#include <spdlog/spdlog.h>

#include "common/atomic_file.hpp"
#include "common/backup_store.hpp"
#include "common/console.hpp"
#include "common/fs_ops.hpp"
#include "common/protected_files.hpp"
#include "common/utf8_path.hpp"
#include "supervisor/commands/commands.hpp"
#include "supervisor/commands/config_source.hpp"
#include "supervisor/stoppable_step.hpp"

namespace es {
namespace fs = std::filesystem;

namespace {

// The destinations a snapshot must never take, even with --replace: the
// live DB and its side files (SQLite would take a copy written as
// live.db-journal for the DB's own journal), the supervisor's own files
// (protected_files.hpp), and a backup's name anywhere (retention would one
// day delete it). Then an existing file only with --replace, and only a
// regular file: never a folder, a link or a device.
Result<void> check_destination(const fs::path& dest, const Config& config, bool replace) {
  if (const auto why = output_refusal(dest, config)) {
    return Error{ExitCode::kUsage, "snapshot destination " + dest.string() + " is " + *why +
                                       ": it is never overwritten, even with --replace; choose "
                                       "another name"};
  }
  std::error_code ec;
  const auto status = fs::symlink_status(dest, ec);
  if (!fs::exists(status)) return {};
  if (!replace) {
    return Error{ExitCode::kIoError, "snapshot destination " + dest.string() +
                                         " already exists and was left as it is; pass --replace "
                                         "to overwrite it"};
  }
  if (!fs::is_regular_file(status)) {
    return Error{ExitCode::kIoError, "snapshot destination " + dest.string() +
                                         " is not a regular file (a folder, a link or a device): "
                                         "--replace overwrites only a file; it was left as it is"};
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
  if (auto ok = check_destination(dest, target->config, options.replace); !ok) {
    return fail(ok.error());
  }

  auto file = AtomicFile::create(dest);
  if (!file) return fail(file.error());
  // A Ctrl+C abandons the copy or its check: the copy's -journal goes with
  // copy_database's failure, the temporary with `file` (stoppable_step.hpp).
  Result<void> made;
  run_stoppable_step("the snapshot of " + db.string(), [&](std::stop_token stop) {
    if (auto copied = copy_database(db, file->temp_path(), {}, stop); !copied) {
      made = copied.error();
      return;
    }
    const auto report = run_integrity_check(file->temp_path(), CheckMode::kQuick, {}, stop);
    if (report.stopped) {
      made = Error{ExitCode::kIoError, "snapshot of " + db.string() + " to " + dest.string() +
                                           " abandoned: a stop was requested"};
    } else if (!report.ok()) {
      made = Error{ExitCode::kIoError, "snapshot of " + db.string() + " does not verify: " +
                                           report.first_failure()};
    }
  });
  if (!made) return fail(made.error());
  const auto replace = options.replace ? AtomicFile::Replace::kAllowed : AtomicFile::Replace::kNever;
  if (auto committed = file->commit(replace); !committed) return fail(committed.error());
  if (auto read_only = make_read_only(dest); !read_only) return fail(read_only.error());
  spdlog::info("snapshot of {} written, verified and made read-only", db.string());
  console_write(ConsoleStream::kOut, dest.string() + "\n");
  return ExitCode::kSuccess;
}

}  // namespace es
