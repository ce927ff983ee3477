// `engine-supervisor restore (BACKUP | --latest)`: put a verified backup
// back in place of the live DB, moving the current files aside.

#include <spdlog/spdlog.h>

#include <iostream>

#include "common/backup_store.hpp"
#include "common/console.hpp"
#include "common/db_at_rest.hpp"
#include "common/db_location.hpp"
#include "common/integrity_check.hpp"
#include "common/logging.hpp"
#include "common/os_info.hpp"
#include "common/restore.hpp"
#include "common/run_history.hpp"
#include "common/session_lock.hpp"
#include "common/utf8_path.hpp"
#include "supervisor/commands/commands.hpp"
#include "supervisor/commands/config_source.hpp"
#include "supervisor/offsite_snapshots.hpp"
#include "supervisor/restore_resume.hpp"

namespace es {
namespace fs = std::filesystem;

namespace {

Result<fs::path> choose_backup(const RestoreOptions& options, const BackupStore& store) {
  if (options.latest) {
    // "Latest" is by when the data was taken: a backup named by a clock that
    // was ahead is said so, and never wins by its name.
    const auto now = Clock::now();
    for (const auto& backup : store.list(now)) {
      if (backup.dating.future_stamp) spdlog::warn("{}", future_stamp_warning(backup));
    }
    if (auto good = store.newest_verified(CheckMode::kFull, now)) return good->file.path;
    return Error{ExitCode::kIntegrityFailed, "no backup of " + store.db_path().string() + " in " +
                                                 store.backup_dir().string() +
                                                 " passes integrity_check; nothing to restore"};
  }
  const auto backup = fs::absolute(utf8_path(*options.backup));
  std::error_code ec;
  if (!fs::is_regular_file(backup, ec)) {
    return Error{ExitCode::kUsage, "backup " + backup.string() + " does not exist"};
  }
  if (fs::equivalent(backup, store.db_path(), ec)) {
    return Error{ExitCode::kUsage, backup.string() + " is the live DB itself, not a backup"};
  }
  const auto report = run_integrity_check(backup, CheckMode::kFull);
  if (report.ok() && report.page_count > 0) return backup;
  std::string message = "backup " + backup.string() +
                        " does not pass integrity_check (" + report.first_failure() +
                        "); nothing was changed.";
  if (auto good = store.newest_verified(CheckMode::kFull)) {
    message += " The newest backup that is ok: " + good->file.path.string();
  } else {
    message += " No backup of this DB passes integrity_check.";
  }
  return Error{ExitCode::kIntegrityFailed, message};
}

// The snapshot named (an id or its prefix), or with --latest the newest
// whose file passes integrity_check, downloaded into `downloaded`: the same
// check a local backup passes before anything moves.
Result<fs::path> choose_offsite_backup(const RestoreOptions& options, const Config& config,
                                       std::optional<DownloadedSnapshot>& downloaded,
                                       std::string& chosen) {
  const auto restic = open_offsite(config, "restore");
  if (!restic) return restic.error();
  const auto db = config.database.path;
  auto listed = list_offsite_snapshots(*restic, db);
  if (!listed) return listed.error();
  const auto where = " in the off-site repository " + redacted(config.offsite.restic_repository);
  std::vector<OffsiteSnapshot> candidates;
  if (options.latest) {
    candidates = *listed;
  } else {
    for (const auto& snapshot : *listed) {
      if (!options.backup->empty() && snapshot.id.starts_with(*options.backup)) candidates.push_back(snapshot);
    }
    if (candidates.size() > 1) {
      return Error{ExitCode::kUsage, "snapshot id '" + *options.backup + "' matches " +
                                         std::to_string(candidates.size()) +
                                         " snapshots of " + db.filename().string() + where +
                                         "; give more of it"};
    }
  }
  if (candidates.empty()) {
    return Error{ExitCode::kUsage,
                 (options.latest ? "no snapshot of " + db.filename().string()
                                 : "no snapshot '" + *options.backup + "' of " + db.filename().string()) +
                     where + " (only snapshots tagged " + offsite_db_tag(db) +
                     " are this DB's); `engine-supervisor backups --offsite` lists them"};
  }
  std::string failures;
  for (const auto& snapshot : candidates) {
    auto got = download_offsite_snapshot(*restic, snapshot, db, config.database.backup_dir);
    if (!got) return got.error();
    const auto report = run_integrity_check(got->file(), CheckMode::kFull);
    if (report.ok() && report.page_count > 0) {
      console_write(ConsoleStream::kErr, "off-site snapshot " + describe(snapshot) +
                                             " downloaded and checked (integrity_check ok)\n");
      downloaded.emplace(std::move(*got));
      chosen = "off-site snapshot " + describe(snapshot);
      return downloaded->file();
    }
    const auto why = "off-site snapshot " + describe(snapshot) + " does not pass integrity_check (" +
                     report.first_failure() + ")";
    spdlog::warn("{}{}", why, options.latest ? "; trying the next older one" : "");
    failures += why + "; ";
  }
  return Error{ExitCode::kIntegrityFailed, failures + "nothing was changed"};
}

// On a terminal, ask; off one, only --yes may go ahead.
Result<void> confirm(const RestoreOptions& options) {
  if (options.yes) return {};
  if (!stream_is_terminal(0)) {
    return Error{ExitCode::kUsage,
                 "restore changes the live DB's files and there is no terminal to ask: "
                 "add --yes to confirm, or --dry-run to see the plan"};
  }
  console_write(ConsoleStream::kErr, "Proceed with the restore? [y/N] ");
  console_flush(std::chrono::seconds(5));
  std::string answer;
  std::getline(std::cin, answer);
  if (answer == "y" || answer == "Y" || answer == "yes") return {};
  return Error{ExitCode::kUsage, "restore cancelled; nothing was changed"};
}

}  // namespace

ExitCode run_restore_command(const RestoreOptions& options) {
  auto target = load_target_or_report(options.target);
  if (!target) return target.error().exit_code;
  const auto& config = target->config;
  const auto fail = [](const Error& error) {
    report_failure(error);
    return error.exit_code;
  };

  // A running supervisor owns the DB: restoring under it would pull the
  // files from under the engine.
  // A dry run only looks: it must not leave a lock file beside the DB.
  std::optional<SessionLock> lock;
  if (options.dry_run) {
    if (auto free = SessionLock::probe(config.database.path); !free) return fail(free.error());
  } else {
    auto acquired = SessionLock::acquire(config.database.path);
    if (!acquired) return fail(acquired.error());
    lock.emplace(std::move(*acquired));
  }
  // An engine started by hand holds no lock; it must not have its files
  // moved from under it either.
  if (auto open_elsewhere =
          open_elsewhere_error(config.database.path,
                               find_open_holders(live_db_files(config.database.path)),
                               OpenElsewhereFor::kRestore)) {
    return fail(*open_elsewhere);
  }
  if (!options.dry_run && !config.source_file.empty()) {
    auto logging = start_file_logging(config.logging_dir, config.logging_level);
    if (!logging) spdlog::warn("{} — logging to the console only", logging.error().message);
  }
  // A restore cut off before is finished (or undone) first. Finished, it is
  // all this command does: the operator sees its outcome before choosing
  // anything else.
  if (options.dry_run) {
    if (fs::exists(fs::symlink_status(restore_record_path(config.database.path)))) {
      spdlog::warn("a restore that was cut off is recorded in {}; the next run or restore "
                   "(without --dry-run) finishes it",
                   restore_record_path(config.database.path).string());
    }
  } else if (auto resumed = finish_interrupted_restore(config.database.path); !resumed) {
    return fail(resumed.error());
  } else if (*resumed) {
    spdlog::warn("{}", (*resumed)->message);
    // Undone, it changed nothing: the restore asked for now goes ahead.
    if ((*resumed)->finished) {
      console_write(ConsoleStream::kErr,
                    "nothing else was done: run restore again to restore another backup\n");
      return ExitCode::kSuccess;
    }
  }

  const BackupStore store(config.database.path, config.database.backup_dir);
  std::optional<DownloadedSnapshot> downloaded;  // removed when the restore is done
  std::string restored_from;
  auto backup = options.offsite ? choose_offsite_backup(options, config, downloaded, restored_from)
                                : choose_backup(options, store);
  if (!backup) return fail(backup.error());
  if (restored_from.empty()) restored_from = backup->string();
  const auto plan = plan_restore(config.database.path, *backup);
  console_write(ConsoleStream::kErr, plan.describe());
  if (options.dry_run) {
    console_write(ConsoleStream::kErr, "dry run: nothing was changed\n");
    return ExitCode::kSuccess;
  }
  if (auto confirmed = confirm(options); !confirmed) return fail(confirmed.error());
  if (auto recorded = lock->record({current_process_id(), "restore", iso8601_utc(Clock::now()),
                                    iso8601_utc(Clock::now())});
      !recorded) {
    spdlog::warn("{}", recorded.error().message);
  }

  std::vector<RestoreMove> moved_aside;
  auto restored = execute_restore(
      plan,
      [](const std::string& done) {
        spdlog::info("{}", done);
        return true;
      },
      &moved_aside);
  // The DB file's own lock went aside with the old file: the restored one
  // under the DB's name is the one to hold now.
  if (restored) {
    if (auto relocked = lock->lock_db_file(); !relocked) spdlog::warn("{}", relocked.error().message);
  }
  const auto report = run_integrity_check(config.database.path, CheckMode::kFull);
  record_restore(RunHistory(RunHistory::path_for(config.database.path)), config.database.path,
                 restored_from, moved_aside, restored.has_value(), report);
  if (!restored) return fail(restored.error());
  if (!report.ok()) {
    return fail(Error{ExitCode::kIntegrityFailed,
                      "restored " + config.database.path.string() +
                          " but its integrity_check says: " + report.first_failure()});
  }
  console_write(ConsoleStream::kOut, "restored " + restored_from + " to " +
                                         config.database.path.string() + " (integrity_check ok)\n");
  return ExitCode::kSuccess;
}

}  // namespace es
