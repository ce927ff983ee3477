#pragma once
// One function per subcommand; main() parses the command line into these
// options and turns the returned ExitCode into the process exit. Each command
// prints its own results and failures.

#include <filesystem>
#include <optional>
#include <string>

#include "common/exit_code.hpp"

namespace es {

// Which DB a command works on: a config file (--config, or the default
// search), or a bare DB path (--db) with default settings.
// Paths arrive as UTF-8 text, as typed; commands make paths of them with
// utf8_path() (see common/utf8_path.hpp for why).
struct TargetOptions {
  std::optional<std::string> config_file;
  std::optional<std::string> db_path;
};

struct CheckOptions {
  TargetOptions target;
  bool quick = false;
  bool json = false;
};
ExitCode run_check_command(const CheckOptions& options);

struct BackupOptions {
  TargetOptions target;
};
ExitCode run_backup_command(const BackupOptions& options);

struct BackupsOptions {
  TargetOptions target;
  bool json = false;
  bool offsite = false;  // the off-site repository's snapshots of this DB
};
ExitCode run_backups_command(const BackupsOptions& options);

struct RunOptions {
  TargetOptions target;
  std::string version;
  bool accept_data_loss = false;
  // Hidden, internal: this process is the detached run a viewer started;
  // its stdin is the viewer's channel (supervisor/viewer.hpp).
  bool as_detached_run = false;
  bool accept_changed_db = false;  // --accept-changed-db
};
ExitCode run_run_command(const RunOptions& options);

struct HistoryOptions {
  TargetOptions target;
  bool json = false;
  int limit = 20;
};
ExitCode run_history_command(const HistoryOptions& options);

struct StatusOptions {
  TargetOptions target;
  bool json = false;
};
ExitCode run_status_command(const StatusOptions& options);

struct ReportOptions {
  TargetOptions target;
  std::optional<std::string> output;  // default: summary.dir/report.html
  int runs = 100;
  std::string version;
};
ExitCode run_report_command(const ReportOptions& options);

struct RestoreOptions {
  TargetOptions target;
  std::optional<std::string> backup;  // with offsite: a restic snapshot id
  bool latest = false;
  bool offsite = false;
  bool dry_run = false;
  bool yes = false;
};
ExitCode run_restore_command(const RestoreOptions& options);

struct SnapshotOptions {
  TargetOptions target;
  std::string destination;
  // --replace: an existing DEST (a regular file) may be overwritten; never
  // the DB, its side files or the supervisor's own files.
  bool replace = false;
};
ExitCode run_snapshot_command(const SnapshotOptions& options);

// Hidden, internal: `console-ctrl PID ctrl_c|ctrl_break`, the short-lived
// helper that raises a console stop on the engine's own hidden console
// (Windows; see supervisor/platform/console_ctrl.hpp). Returns its own
// process exit code: 0, or the Win32 error that stopped it.
struct ConsoleCtrlOptions {
  long pid = 0;
  std::string event;  // ctrl_c | ctrl_break
};
int run_console_ctrl_command(const ConsoleCtrlOptions& options);

ExitCode run_config_check_command(const TargetOptions& target);
ExitCode run_config_show_command(const TargetOptions& target);

}  // namespace es
