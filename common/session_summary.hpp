#pragma once
// The session summary: what happened in one run, and the DB's health, as a
// JSON file an operator (or a monitor) reads. Documented field by field in
// docs/session-summary.md, with a JSON Schema beside it.
//
// Written atomically in every outcome to `summary.dir/session-<run_id>.json`,
// then copied to `summary.dir/latest.json`. Plain values; one thread.

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/db_location.hpp"
#include "common/engine_tree.hpp"
#include "common/result.hpp"
#include "common/wal_fold.hpp"

namespace es {

// A backup that retention deleted during the run.
struct BackupDeletion {
  std::string file;      // file name, in backup_dir
  std::string kind;      // bak | post | manual
  std::string taken_at;  // ISO 8601 UTC: when its data was taken
  long long age_seconds = 0;
};

struct DbHealth {
  std::string integrity_check = "skipped";  // "ok", the first failure line, or "skipped"
  std::optional<std::string> pre_session_backup;   // file name, or null
  std::optional<std::string> post_session_backup;  // file name, or null
  std::optional<std::string> pre_session_backup_error;   // why it is null, if it failed
  std::optional<std::string> post_session_backup_error;
  // Why no backup was attempted or kept although it is enabled: the DB has
  // no tables (nothing to restore), or does not exist yet (a first run).
  std::optional<std::string> pre_session_backup_skipped;
  std::optional<std::string> post_session_backup_skipped;
  std::string db_path;                             // as configured
  // Beside the four required keys, what an operator needs:
  std::string integrity_check_mode = "full";
  double integrity_check_seconds = 0;
  // The DB's main file when the gate read it; null when the gate did not run.
  std::optional<std::uintmax_t> integrity_check_db_bytes;
  std::optional<std::string> post_session_integrity;  // quick_check after the engine, or null
  double post_session_integrity_seconds = 0;           // 0 when it did not run
  // Frames the WAL fold copied into the main file after the engine exited;
  // null when nothing was folded (check failed or abandoned, DB held
  // elsewhere, not in WAL mode, or the fold failed).
  std::optional<std::int64_t> wal_frames_checkpointed;
  // The DB and its side files that exist when the run ends, with sizes; null
  // when not looked at (the run's supervisor was lost, or an interim summary).
  std::optional<std::vector<FileAtRest>> at_rest;
  std::string backup_dir;
  std::string filesystem_type;
  // The WAL's evidence read before the gate (wal_evidence.hpp's to_json),
  // with "accepted" and "evidence_folder" when a loss was accepted; null when
  // not read.
  std::optional<nlohmann::json> wal_evidence;
  // A hot rollback journal found before the gate (hot_journal.hpp's
  // to_json): the files, where their forensic copy went, and whether it was
  // rolled back; null when there was none.
  std::optional<nlohmann::json> hot_journal;
  // The config's db_checks that ran, startup's then post_session's
  // (db_checks.hpp's to_json); empty when none is configured.
  nlohmann::json db_checks = nlohmann::json::array();
  std::vector<BackupDeletion> backups_deleted;  // by retention, in the order deleted
  // The in-session backups (in_session_backup.hpp's to_json); null when
  // db_safeguards.in_session_backup_minutes is 0 or the engine never ran.
  nlohmann::json in_session_backups = nullptr;
  // The off-site copies (offsite.hpp's OffsiteCopier::finish); null when
  // offsite: is not configured or the engine was not going to start.
  nlohmann::json offsite = nullptr;
  // Is the DB as the last run left it? db_continuity's verdict, and what it
  // compared (see common/db_continuity.hpp).
  std::string continuity = "not_checked";
  nlohmann::json continuity_details = nullptr;
  // Who had the DB or its -wal open once the engine and its tree were gone,
  // looked at before the post-session steps; null when not looked at (the
  // engine never started). Not empty: the post-session check, backup and
  // fold were skipped (database.refuse_if_open_elsewhere) or ran beside them.
  std::optional<std::vector<OpenHolder>> open_after_engine;
  std::vector<std::string> warnings;
};

struct EngineRecord {
  std::vector<std::string> command;
  std::optional<long> pid;
  std::optional<int> exit_code;
  std::optional<std::string> signal;
  // What the engine left running when it exited, and how each ended; null
  // when the engine never started (or its supervisor was lost).
  std::optional<std::vector<LeftProcess>> left_running;
  std::optional<std::string> cgroup;  // the engine's own cgroup (Linux), if it had one
};

struct SessionSummary {
  std::string run_id;
  std::string started_at;
  std::string ended_at;
  std::string outcome;      // clean | unclean | aborted
  std::string halt_reason;
  EngineRecord engine;
  // The engine's output lines that matched engine.error_patterns
  // (engine_errors.hpp's to_json); null when the engine never started.
  nlohmann::json engine_errors = nullptr;
  DbHealth db_health;
  // What each notify.command run did (notifier.hpp's NotifyResult::to_json).
  nlohmann::json notifications = nlohmann::json::array();
  std::optional<int> supervisor_exit_code;
  std::string log_file;
  // The session log's cap, once reached (logging.max_session_log_mb): its
  // head and tail files and the bytes dropped between; null otherwise.
  nlohmann::json log_cap = nullptr;
  std::string config_file;
  std::string supervisor_version;
};

nlohmann::json to_json(const SessionSummary& summary);

std::filesystem::path summary_path(const std::filesystem::path& summary_dir,
                                   const std::string& run_id);

// Writes session-<run_id>.json and then latest.json, each atomically.
// Creates the folder if needed.
[[nodiscard]] Result<std::filesystem::path> write_summary(const std::filesystem::path& summary_dir,
                                                          const SessionSummary& summary);

// A summary as written, for the commands that read runs back (status,
// report). An empty object when the file is missing, does not parse, or is
// not a regular file: a FIFO in its place would block the read forever.
nlohmann::json read_summary(const std::filesystem::path& file);

}  // namespace es
