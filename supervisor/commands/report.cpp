// `engine-supervisor report [--output FILE] [--runs N]`: the DB's health as
// one static HTML page (common/health_report.hpp), for the operator who
// reads nothing else: the recent runs, the gate against the DB's size, the
// backups, and what went wrong. Reads the history, the summaries and the
// backups as files, without the lock, so a live run goes on; it writes only
// the page, atomically, and never over a file it did not write.

#include <spdlog/spdlog.h>

#include <fstream>

#include "common/atomic_file.hpp"
#include "common/backup_store.hpp"
#include "common/console.hpp"
#include "common/fs_ops.hpp"
#include "common/health_report.hpp"
#include "common/integrity_check.hpp"
#include "common/protected_files.hpp"
#include "common/run_history.hpp"
#include "common/session_summary.hpp"
#include "common/utf8_path.hpp"
#include "supervisor/commands/commands.hpp"
#include "supervisor/commands/config_source.hpp"

namespace es {
namespace fs = std::filesystem;

namespace {

// Starts with the report's marker: a page this command wrote before.
bool is_earlier_report(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::string head(256, '\0');
  in.read(head.data(), static_cast<std::streamsize>(head.size()));
  head.resize(static_cast<std::size_t>(in.gcount()));
  return head.find(kHealthReportMarker) != std::string::npos;
}

// The page goes where it was asked, but never over the DB's or the
// supervisor's own files, and over an existing file only if it is an
// earlier report: a report is regenerated in place (from cron, say), and
// anything else an operator keeps there is left alone.
Result<void> check_output(const fs::path& dest, const Config& config) {
  if (const auto why = output_refusal(dest, config)) {
    return Error{ExitCode::kUsage, "report output " + dest.string() + " is " + *why +
                                       ": a report is never written there; choose another "
                                       "--output"};
  }
  std::error_code ec;
  const auto status = fs::symlink_status(dest, ec);
  if (!fs::exists(status)) return {};
  if (!fs::is_regular_file(status)) {
    return Error{ExitCode::kIoError, "report output " + dest.string() +
                                         " is not a regular file (a folder, a link, a FIFO or a "
                                         "device); it was left as it is; choose another --output"};
  }
  if (!is_earlier_report(dest)) {
    return Error{ExitCode::kIoError, "report output " + dest.string() +
                                         " exists and is not a report engine-supervisor wrote; "
                                         "it was left as it is; choose another --output"};
  }
  return {};
}

std::vector<ReportBackup> backup_inventory(const BackupStore& store, Clock::time_point now) {
  std::vector<ReportBackup> inventory;
  for (const auto& [backup, verifies, failure] : store.list_checked(now)) {
    ReportBackup shown{backup.path.filename().string(), std::string(to_string(backup.name.kind)),
                       iso8601_utc(backup.name.stamp), std::nullopt, backup.size, verifies, failure};
    if (backup.dating.taken) {
      shown.taken_at = iso8601_utc(*backup.dating.taken);
      shown.age_seconds = std::chrono::duration<double>(now - *backup.dating.taken).count();
    }
    if (backup.dating.future_stamp) shown.taken_at += " (its name's stamp is in the future)";
    inventory.push_back(std::move(shown));
  }
  return inventory;
}

}  // namespace

ExitCode run_report_command(const ReportOptions& options) {
  auto target = load_target_or_report(options.target);
  if (!target) return target.error().exit_code;
  const auto& config = target->config;
  const auto& db = config.database.path;
  const auto fail = [](const Error& error) {
    report_failure(error);
    return error.exit_code;
  };

  const bool default_output = !options.output;
  const auto dest = fs::absolute(default_output ? config.summary_dir / "report.html"
                                                : utf8_path(*options.output))
                        .lexically_normal();
  if (auto ok = check_output(dest, config); !ok) return fail(ok.error());

  const auto now = Clock::now();
  const RunHistory history(RunHistory::path_for(db));
  const auto loaded = history.load();
  for (const auto& warning : loaded.warnings) spdlog::warn("{}", warning);

  HealthReport report;
  report.db_path = db.string();
  report.backup_dir = config.database.backup_dir.string();
  report.history_file = history.file().string();
  report.generated_at = iso8601_utc(now);
  report.version = options.version;
  report.runs_total = loaded.runs.size();
  const auto limit = static_cast<std::size_t>(options.runs);
  const auto first = loaded.runs.size() > limit ? loaded.runs.size() - limit : 0;
  for (auto run = loaded.runs.begin() + static_cast<std::ptrdiff_t>(first); run != loaded.runs.end();
       ++run) {
    const auto summary = run->summary_path.empty() ? nlohmann::json::object()
                                                   : read_summary(utf8_path(run->summary_path));
    report.runs.push_back(report_run_of(*run, summary, supervisor_gone(*run), now));
    for (auto& problem : report_problems_of(run->run_id, summary)) {
      report.problems.push_back(std::move(problem));
    }
  }
  report.backups = backup_inventory(BackupStore(db, config.database.backup_dir), now);

  // The default place is the summaries' folder, which the first run makes.
  if (default_output) {
    if (auto folder = create_private_folder(dest.parent_path()); !folder) return fail(folder.error());
  }
  auto file = AtomicFile::create(dest);
  if (!file) return fail(file.error());
  if (auto written = file->write(render_health_report(report)); !written) return fail(written.error());
  if (auto committed = file->commit(AtomicFile::Replace::kAllowed); !committed) {
    return fail(committed.error());
  }
  spdlog::info("health report of {} written to {}: {} runs, {} backups", db.string(), dest.string(),
               report.runs.size(), report.backups.size());
  console_write(ConsoleStream::kOut, dest.string() + "\n");
  return ExitCode::kSuccess;
}

}  // namespace es
