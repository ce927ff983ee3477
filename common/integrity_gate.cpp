#include "common/integrity_gate.hpp"

#include <sstream>

#include "common/shell_command.hpp"
#include "common/sqlite_db.hpp"
#include "common/time_stamp.hpp"

namespace es {
namespace {

constexpr std::size_t kRowsShown = 10;

// The restore of `backup` over the request's DB, to paste as it is.
std::string restore_command(const std::string& target_argument, const std::filesystem::path& backup) {
  return supervisor_command("restore " + shell_quote(backup.string()) + " " + target_argument);
}

std::string cause_of(const GateRequest& request, const CheckReport& report, std::size_t backups) {
  switch (report.verdict) {
    case CheckVerdict::kMissing:
      if (backups > 0) {
        return "the database file does not exist, but " + std::to_string(backups) +
               " backup(s) of it that hold tables exist in " + request.backup_dir.string() +
               ": it vanished. Restore it from a backup.";
      }
      return "the database file does not exist. If this is a first run, set "
             "database.allow_missing: true; otherwise restore it from a backup.";
    case CheckVerdict::kNotADatabase:
      return "file is not a database (SQLITE_NOTADB)";
    case CheckVerdict::kMalformed:
      return "database disk image is malformed: " + report.first_failure();
    case CheckVerdict::kLocked:
      return "the database is locked (" + report.error +
             "): another process holds an exclusive lock on it. Find and stop it.";
    case CheckVerdict::kUnreadable:
      return "the database could not be read: " + report.error;
    case CheckVerdict::kOk:
      break;
  }
  return (report.file_size == 0 ? "the database file is empty (0 bytes)"
                                : "the database has no tables") +
         std::string(" but ") + std::to_string(backups) +
         " backup(s) of it that hold tables exist in " +
         request.backup_dir.string() + ": its data is lost, this is not a new database.";
}

std::string failure_message(const GateRequest& request, const CheckReport& report,
                            const BackupStore& store, std::size_t backups) {
  std::ostringstream out;
  out << kGateFailureHeadline << "\n";
  out << "  database: " << request.db_path.string() << "\n";
  out << "  cause: " << cause_of(request, report, backups) << "\n";
  // Line by line: a page fault is one row of many lines, and its first line
  // (`*** in database main ***`) says nothing an operator can act on.
  const auto lines = report.ok() ? std::vector<std::string>() : report.failure_lines();
  if (!lines.empty()) {
    out << "  " << (report.mode == CheckMode::kFull ? "integrity_check" : "quick_check")
        << " says:\n";
    for (std::size_t i = 0; i < lines.size() && i < kRowsShown; ++i) {
      out << "    " << lines[i] << "\n";
    }
    if (lines.size() > kRowsShown) {
      out << "    … and " << (lines.size() - kRowsShown) << " more\n";
    }
  }
  out << restore_advice(store, request.restore_target_argument);
  return out.str();
}

// The newest backup that verifies and was taken no later than `when`: the
// one that may still hold what was lost at `when`. Newer ones were copied
// from the DB without it.
std::optional<VerifiedBackup> newest_verified_until(const BackupStore& store,
                                                    std::optional<Clock::time_point> when) {
  for (const auto& backup : store.list()) {
    if (when && backup.name.stamp > *when) continue;
    auto report = run_integrity_check(backup.path, CheckMode::kFull);
    if (report.ok() && report.page_count > 0 && report.schema_objects > 0) {
      return VerifiedBackup{backup, std::move(report)};
    }
  }
  return std::nullopt;
}

}  // namespace

std::string restore_advice(const BackupStore& store, const std::string& target_argument) {
  std::ostringstream out;
  // The same check `restore` makes, so the pasted command is never refused.
  if (const auto good = store.newest_verified(CheckMode::kFull)) {
    out << "  newest good backup: " << good->file.path.string() << " (taken "
        << iso8601_utc(good->file.name.stamp) << ")\n";
    out << "  to restore it: " << restore_command(target_argument, good->file.path) << "\n";
  } else {
    out << "  no backup of this DB in " << store.backup_dir().string()
        << " verifies; there is nothing to restore from.\n";
  }
  return out.str();
}

Error wal_lost_failure(const GateRequest& request, const WalEvidence& evidence) {
  const BackupStore store(request.db_path, request.backup_dir);
  std::ostringstream out;
  out << kWalLostHeadline << "\n";
  out << "  database: " << request.db_path.string() << "\n";
  out << "  cause: " << describe_loss(evidence) << ".\n";
  out << "  The DB as it is lacks those transactions; an engine started on it would carry on "
         "without them, and SQLite's next open would erase this evidence.\n";
  const auto last_seen = evidence.shm.modified;
  if (const auto good = newest_verified_until(store, last_seen)) {
    out << "  newest backup that may hold them: " << good->file.path.string() << " (taken "
        << iso8601_utc(good->file.name.stamp) << ", before they were last seen)\n";
    out << "  either restore it: " << restore_command(request.restore_target_argument, good->file.path) << "\n";
  } else {
    out << "  no backup in " << request.backup_dir.string()
        << " taken before they were last seen verifies; none holds them.\n";
  }
  out << "  or accept the loss and go on with the DB as it is: "
      << supervisor_command("run --accept-data-loss " + request.restore_target_argument)
      << "\n    (the -wal and -shm are moved aside into " << request.backup_dir.string()
      << " as evidence, and the run is recorded as having accepted the loss)\n";
  return Error{ExitCode::kIntegrityFailed, out.str()};
}

std::string GateResult::summary_line() const {
  if (wal_lost && wal) {
    return "wal_lost: " + std::to_string(wal->frames_lost + wal->frames_orphaned) +
           " frames of committed transactions are gone from the -wal";
  }
  if (first_run) return "skipped: database missing, first run";
  if (failure && report.ok()) return "database empty while backups of it exist";
  return report.first_failure();
}

GateResult run_integrity_gate(const GateRequest& request, const CheckProgress& progress,
                              std::stop_token stop) {
  GateResult result;
  result.report.db_path = request.db_path;
  result.report.mode = request.mode;
  if (request.read_wal_evidence) {
    result.wal = read_wal_evidence(request.db_path);
    if (result.wal->refuses() && !request.accept_data_loss) {
      result.wal_lost = true;
      result.failure = wal_lost_failure(request, *result.wal);
      return result;
    }
  }
  // Raw, before SQLite: the read below rolls it back in a private copy,
  // and would say nothing of it.
  result.hot_journal = find_hot_journal(request.db_path);
  result.report = run_integrity_check(request.db_path, request.mode, progress, stop);
  const BackupStore store(request.db_path, request.backup_dir);
  const auto& report = result.report;

  const bool missing = report.verdict == CheckVerdict::kMissing;
  const bool empty = report.ok() && (report.file_size == 0 || report.schema_objects == 0);
  // Evidence that the DB once held data: a backup that holds tables. A
  // backup without tables (taken of a new, empty DB by an older version)
  // proves nothing, and counting it would refuse a new DB for ever.
  const auto backups = missing || empty ? store.count_holding_tables() : 0;
  // A missing DB is a first run only if nothing says it ever existed: with
  // backups of it present, it vanished, and that is data loss.
  if (missing && request.allow_missing && backups == 0) {
    result.first_run = true;
    return result;
  }
  if (report.ok() && !(empty && backups > 0)) return result;

  const bool missing_or_lost = missing || empty;
  result.failure = Error{missing_or_lost ? ExitCode::kDbMissing : ExitCode::kIntegrityFailed,
                         failure_message(request, report, store, backups)};
  return result;
}

}  // namespace es
