#pragma once
// The supervisor's configuration: the YAML file's keys as typed values.
//
// Loading never fills a gap silently. An unknown key, a key given twice, a
// wrong type, a missing required key, a value out of range, text that is not
// UTF-8 or a second YAML document is an Error naming the file, the line and
// the key (ExitCode::kConfigInvalid). Every error names a line; a missing key
// names the line where its section starts. Relative paths resolve against the
// folder of the file itself, so a shortcut started from any folder works.
// Plain values; no threads involved.

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace es {

enum class CheckMode { kFull, kQuick };
enum class PauseOnExit { kAuto, kAlways, kNever };
// ui.console: where `run` lives when started from a console window.
//  kAuto: a viewer only where a closed window would end the run (Windows,
//         a console window whose output is not redirected);
//  kViewer: always a viewer and a detached run (any OS, any console);
//  kNone: the run lives in the console it was started from.
enum class ConsoleMode { kAuto, kViewer, kNone };

// What a start does when the DB is not as the last run left it
// (database.on_change_between_sessions).
enum class ChangePolicy { kRefuse, kWarn };

std::string_view to_string(CheckMode mode);
std::string_view to_string(PauseOnExit pause);
std::string_view to_string(ConsoleMode mode);
std::string_view to_string(ChangePolicy policy);

struct DatabaseConfig {
  std::filesystem::path path;         // absolute
  std::string path_as_configured;     // as written in the file; reported in summaries
  std::filesystem::path backup_dir;   // absolute; default: the DB's own folder
  bool allow_missing = false;
  bool require_local_filesystem = true;
  bool refuse_if_open_elsewhere = true;
  ChangePolicy on_change_between_sessions = ChangePolicy::kRefuse;

  bool operator==(const DatabaseConfig&) const = default;
};

struct SafeguardsConfig {
  bool pre_session_backup_enabled = true;
  bool post_session_backup_enabled = true;
  int backup_retention_count = 10;
  int backup_keep_daily = 7;   // newest backup of each of the last N UTC days with backups
  int backup_keep_weekly = 4;  // newest backup of each of the last N ISO weeks with backups
  bool integrity_check_on_startup = true;
  CheckMode integrity_check_mode = CheckMode::kFull;
  // A verified online backup (<db>.live.<stamp>) every this many minutes
  // while the engine runs; 0: none. A decimal: 0.5 is every 30 s.
  double in_session_backup_minutes = 0;

  bool operator==(const SafeguardsConfig&) const = default;
};

struct EngineConfig {
  std::vector<std::string> command;   // argv; never run through a shell
  std::filesystem::path working_dir;  // absolute
  std::map<std::string, std::string> env;
  std::string stop_signal = "SIGINT";
  int stop_grace_seconds = 30;
  std::vector<int> clean_exit_codes{0};
  // Output lines counted as the engine's own errors (common/engine_errors):
  // ECMAScript regexes; one without metacharacters is plain text.
  std::vector<std::string> error_patterns{"Traceback", "ERROR", "CRITICAL", "FATAL", "Exception"};
  // Stop signals whose death counts as a clean end when the supervisor sent
  // the signal (an engine that installs no handler for it). Empty: none.
  std::vector<std::string> clean_stop_signals;

  bool operator==(const EngineConfig&) const = default;
};

// One of db_checks: the application's own invariant as read-only SQL
// (common/db_checks.hpp runs it).
struct DbCheckConfig {
  std::string name;
  std::string sql;
  std::optional<std::string> expect_value;  // expect: {value: X}; none: expect: no_rows
  bool at_startup = true;                   // when: startup, post_session, or both
  bool after_session = true;
  bool refuse = true;  // on_fail: refuse (fail closed at startup) or warn
  int timeout_seconds = 10;

  bool operator==(const DbCheckConfig&) const = default;
};

// notify: what runs when a run goes wrong (supervisor/notifier.hpp).
struct NotifyConfig {
  std::vector<std::string> command;  // argv, as engine.command; empty: no notifier
  // Of unclean, aborted, refused, backup_failed, check_failed,
  // offsite_failed, warning.
  std::vector<std::string> on{"unclean",      "aborted",       "refused", "backup_failed",
                              "check_failed", "offsite_failed"};
  int timeout_seconds = 30;

  bool operator==(const NotifyConfig&) const = default;
};

// The events notify.on may name.
const std::vector<std::string_view>& known_notify_events();

// offsite: copies of the verified backups in a restic repository
// (supervisor/offsite.hpp); off while restic_repository is empty.
struct OffsiteConfig {
  std::string restic_repository;  // as restic takes it: a folder, sftp:user@host:/path, s3:…
  std::filesystem::path password_file;  // absolute; never readable by others
  std::vector<std::string> kinds{"bak", "post", "live", "manual"};  // which backups go
  int keep_last = 30;   // restic forget --keep-last, for this DB's snapshots
  int keep_daily = 14;  // restic forget --keep-daily
  int wait_seconds = 120;  // at the run's end, for a copy still running
  // The restic program: empty for `restic` on PATH (or restic.exe beside
  // engine-supervisor.exe on Windows).
  std::filesystem::path restic;

  bool enabled() const { return !restic_repository.empty(); }
  bool operator==(const OffsiteConfig&) const = default;
};

struct Config {
  std::filesystem::path source_file;  // empty when built from --db
  DatabaseConfig database;
  SafeguardsConfig db_safeguards;
  EngineConfig engine;
  std::vector<DbCheckConfig> db_checks;
  NotifyConfig notify;
  OffsiteConfig offsite;
  std::filesystem::path summary_dir;  // absolute
  std::filesystem::path logging_dir;  // absolute
  std::string logging_level = "info";
  int logging_keep_sessions = 100;        // runs whose logs and summaries are kept
  int logging_max_session_log_mb = 1024;  // past it: the head and a rolling tail
  // metrics.textfile: where each run writes its figures for node_exporter's
  // textfile collector (common/metrics_textfile); empty for none.
  std::filesystem::path metrics_textfile;
  PauseOnExit pause_on_exit = PauseOnExit::kAuto;
  ConsoleMode console_mode = ConsoleMode::kAuto;

  // Field by field; paths compare as std::filesystem::path does.
  bool operator==(const Config&) const = default;
};

// The stop signals an engine may ask for in engine.stop_signal.
const std::vector<std::string_view>& known_stop_signals();

// Parses YAML text. `source` names the file in error messages and its parent
// folder anchors relative paths. Never reads the filesystem; any text yields
// a Config or an Error (tests/fuzz/ checks this).
[[nodiscard]] Result<Config> parse_config(std::string_view yaml_text,
                                          const std::filesystem::path& source);

// Reads and parses `file`. A missing or unreadable file is kConfigInvalid.
[[nodiscard]] Result<Config> load_config(const std::filesystem::path& file);

// The defaults for a bare `--db PATH`: backups beside the DB, logs in ./logs.
[[nodiscard]] Config config_for_database(const std::filesystem::path& db_path,
                                         const std::filesystem::path& working_folder);

// Chooses the config file: `explicit_file` if given (it must exist), else
// engine-supervisor.yaml in `current_folder`, else beside the executable.
[[nodiscard]] Result<std::filesystem::path> find_config_file(
    const std::optional<std::filesystem::path>& explicit_file,
    const std::filesystem::path& current_folder, const std::filesystem::path& executable_folder);

inline constexpr std::string_view kDefaultConfigName = "engine-supervisor.yaml";

// The resolved config as YAML, with every default filled in (`config show`).
// parse_config() reads it back to the same Config (the DB path then as written
// absolute).
std::string render_config(const Config& config);

}  // namespace es
