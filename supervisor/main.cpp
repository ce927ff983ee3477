// engine-supervisor: parses the command line and dispatches to one command.
// Everything else lives in the libraries; only here does a result become the
// process exit code.

#include <CLI/CLI.hpp>

#include <chrono>
#include <filesystem>
#include <iostream>

#include "common/console.hpp"
#include "common/logging.hpp"
#include "common/os_info.hpp"
#include "supervisor/commands/commands.hpp"

namespace {

void add_target_options(CLI::App& command, es::TargetOptions& target) {
  auto* config = command.add_option("--config", target.config_file,
                                    "Config file (default: ./engine-supervisor.yaml, then "
                                    "engine-supervisor.yaml beside the executable)");
  auto* db = command.add_option("--db", target.db_path, "Work on this DB with default settings");
  config->excludes(db);
}

int finish(es::ExitCode code) {
  es::flush_logs();
  // Bounded: a console nobody reads must not keep the process alive.
  es::console_flush(std::chrono::seconds(2));
  return es::to_int(code);
}

}  // namespace

int main(int argc, char** argv) {
  es::survive_console_loss();
  es::start_console_logging();
  CLI::App app{"engine-supervisor: runs a SQLite-backed engine safely", "engine-supervisor"};
  app.set_version_flag("--version", std::string("engine-supervisor ") + ENGINE_SUPERVISOR_VERSION);
  app.require_subcommand(1);

  es::CheckOptions check;
  auto* check_cmd = app.add_subcommand("check", "Run the integrity gate on the DB");
  add_target_options(*check_cmd, check.target);
  check_cmd->add_flag("--quick", check.quick, "Use PRAGMA quick_check");
  check_cmd->add_flag("--json", check.json, "Print the result as JSON");

  es::BackupOptions backup;
  auto* backup_cmd = app.add_subcommand("backup", "Take a verified manual backup");
  add_target_options(*backup_cmd, backup.target);

  es::BackupsOptions backups;
  auto* backups_cmd = app.add_subcommand("backups", "List this DB's backups, newest first");
  add_target_options(*backups_cmd, backups.target);
  backups_cmd->add_flag("--json", backups.json, "Print the list as JSON");
  backups_cmd->add_flag("--offsite", backups.offsite,
                        "List the off-site repository's snapshots of this DB (offsite:)");

  es::RunOptions run;
  run.version = ENGINE_SUPERVISOR_VERSION;
  auto* run_cmd = app.add_subcommand("run", "Run one supervised engine session");
  add_target_options(*run_cmd, run.target);
  // `run` needs a config (engine.command): --db stays accepted only to be
  // refused with that explanation, and is not offered in `run --help`.
  run_cmd->get_option("--db")->group("");
  run_cmd->add_flag("--accept-data-loss", run.accept_data_loss,
                    "Go on although committed transactions are gone from the DB's -wal; the loss "
                    "is recorded and its evidence moved aside");
  // Internal, hidden from --help: set by the viewer on the run it starts.
  run_cmd->add_flag("--as-detached-run", run.as_detached_run, "")->group("");
  run_cmd->add_flag("--accept-changed-db", run.accept_changed_db,
                    "Go on with a DB that changed since the last run (another writer, another "
                    "copy put in place) and record that it was accepted");

  es::HistoryOptions history;
  auto* history_cmd = app.add_subcommand("history", "List this DB's runs, newest first");
  add_target_options(*history_cmd, history.target);
  history_cmd->add_flag("--json", history.json, "Print the runs as JSON");
  history_cmd->add_option("--limit", history.limit, "Show at most N runs (default 20)")
      ->check(CLI::PositiveNumber);

  es::StatusOptions status;
  auto* status_cmd = app.add_subcommand(
      "status", "Show whether a run is live, the last run's outcome, the newest good backup and "
                "the open warnings (exit 0 live or clean, 3 not clean, 4 no history)");
  add_target_options(*status_cmd, status.target);
  status_cmd->add_flag("--json", status.json, "Print the status as JSON");

  es::ReportOptions report;
  report.version = ENGINE_SUPERVISOR_VERSION;
  auto* report_cmd = app.add_subcommand(
      "report", "Write the DB's health as one static HTML page: runs, gate times, backups, "
                "warnings, lost and refused runs");
  add_target_options(*report_cmd, report.target);
  report_cmd->add_option("--output", report.output,
                         "Where to write the page (default: report.html in summary.dir); an "
                         "existing file is replaced only if it is an earlier report");
  report_cmd->add_option("--runs", report.runs, "Show the last N runs (default 100)")
      ->check(CLI::PositiveNumber);

  es::RestoreOptions restore;
  auto* restore_cmd =
      app.add_subcommand("restore", "Put a verified backup in place of the DB (moves the old aside)");
  add_target_options(*restore_cmd, restore.target);
  auto* restore_backup = restore_cmd->add_option(
      "backup", restore.backup, "The backup file (with --offsite: a restic snapshot id)");
  auto* restore_latest = restore_cmd->add_flag(
      "--latest", restore.latest, "The newest backup of any kind that passes integrity_check");
  restore_backup->excludes(restore_latest);
  restore_cmd->add_flag("--offsite", restore.offsite,
                        "Restore from the off-site repository (offsite:): a snapshot id, or --latest");
  restore_cmd->add_flag("--dry-run", restore.dry_run, "Print the plan; change nothing");
  restore_cmd->add_flag("--yes", restore.yes, "Do not ask for confirmation");

  es::SnapshotOptions snapshot;
  auto* snapshot_cmd =
      app.add_subcommand("snapshot", "Write a consistent read-only copy of the DB for readers");
  add_target_options(*snapshot_cmd, snapshot.target);
  snapshot_cmd->add_option("destination", snapshot.destination, "Where to write the copy")
      ->required();
  snapshot_cmd->add_flag("--replace", snapshot.replace,
                         "Overwrite DEST if it is an existing file (never the DB, its -journal, "
                         "-wal or -shm, or the supervisor's lock, history, logs, summaries, "
                         "backups or config)");

  es::TargetOptions config_target;
  auto* config_cmd = app.add_subcommand("config", "Validate or show the configuration");
  config_cmd->require_subcommand(1);
  auto* config_check = config_cmd->add_subcommand("check", "Validate the config file");
  auto* config_show = config_cmd->add_subcommand("show", "Print the resolved config");
  for (auto* sub : {config_check, config_show}) {
    sub->add_option("--config", config_target.config_file, "Config file");
  }

  // Internal, hidden from --help: the helper that raises CTRL_C or
  // CTRL_BREAK on the engine's hidden console (Windows).
  es::ConsoleCtrlOptions console_ctrl;
  auto* console_ctrl_cmd = app.add_subcommand("console-ctrl", "");
  console_ctrl_cmd->group("");
  console_ctrl_cmd->add_option("pid", console_ctrl.pid)->required()->check(CLI::PositiveNumber);
  console_ctrl_cmd->add_option("event", console_ctrl.event)
      ->required()
      ->check(CLI::IsMember({"ctrl_c", "ctrl_break"}));

  // UTF-8 everywhere inside: paths with non-ASCII characters must work.
  auto arguments = es::utf8_arguments(argc, argv);
  std::vector<char*> utf8_argv;
  for (auto& argument : arguments) utf8_argv.push_back(argument.data());
  try {
    app.parse(static_cast<int>(utf8_argv.size()), utf8_argv.data());
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);
    app.exit(e);
    return finish(es::ExitCode::kUsage);
  }
  // Every path is resolved against it: without it, the first one would
  // abort the process with an exception instead of a message.
  if (std::error_code ec; std::filesystem::current_path(ec).empty() || ec) {
    std::cerr << "engine-supervisor: the current folder cannot be read (" << ec.message()
              << "): it was deleted or moved. cd to an existing folder and run the command "
                 "again; nothing was done\n";
    return finish(es::ExitCode::kUsage);
  }

  if (*console_ctrl_cmd) return es::run_console_ctrl_command(console_ctrl);
  if (*run_cmd) return finish(es::run_run_command(run));
  if (*history_cmd) return finish(es::run_history_command(history));
  if (*status_cmd) return finish(es::run_status_command(status));
  if (*report_cmd) return finish(es::run_report_command(report));
  if (*restore_cmd) {
    if (!restore.backup && !restore.latest) {
      std::cerr << "restore: name a BACKUP file or pass --latest\n";
      return finish(es::ExitCode::kUsage);
    }
    return finish(es::run_restore_command(restore));
  }
  if (*snapshot_cmd) return finish(es::run_snapshot_command(snapshot));
  if (*check_cmd) return finish(es::run_check_command(check));
  if (*backup_cmd) return finish(es::run_backup_command(backup));
  if (*backups_cmd) return finish(es::run_backups_command(backups));
  if (*config_check) return finish(es::run_config_check_command(config_target));
  if (*config_show) return finish(es::run_config_show_command(config_target));
  return finish(es::ExitCode::kUsage);
}
