#pragma once
// Off-site copies (config `offsite:`): the DB's verified backups copied to a
// restic repository, so one dead disk or one stolen laptop does not take
// the DB and all its backups together. restic brings the deduplication, the
// encryption and the backends (a folder, SFTP, S3, rclone's stores).
//
// restic runs as a child command (child_command.hpp) with the repository
// and the password file in its environment (RESTIC_REPOSITORY,
// RESTIC_PASSWORD_FILE): never in its arguments, where `ps` shows them, and
// never in a log or a summary. A password file that others can read is
// refused.
//
// What is copied is decided by comparison, not by memory: each sync lists
// the repository's snapshots of this DB and copies every local backup of the
// configured kinds that none holds, oldest first. So a copy left unfinished
// at the end of a run (offsite.wait_seconds) is simply made by the next one.
// Each snapshot is tagged `engine-supervisor`, `db=<DB file name>`,
// `kind=<kind>` and `run=<run id>`.
//
// The copier works on a thread of its own: a sync requested while one runs
// is done once more after it. Nothing here ever delays the engine's start
// or changes a run's outcome; a failure is a warning and an
// `offsite_failed` event.

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/config.hpp"
#include "common/result.hpp"
#include "supervisor/child_command.hpp"

namespace es {

// restic with this config's repository and password; a short-lived child
// per call.
class Restic {
 public:
  Restic(OffsiteConfig config, std::string name);

  // The program: offsite.restic, else restic on PATH (or restic.exe beside
  // this executable on Windows). An error with the platform's install hint
  // when there is none.
  [[nodiscard]] static Result<std::filesystem::path> find_program(const OffsiteConfig& config);

  // The password file is a regular file that only its owner can read.
  [[nodiscard]] static Result<void> check_password_file(const OffsiteConfig& config);

  // Runs `restic <args>`; its output lines go to `on_line`.
  ChildResult run(const std::vector<std::string>& args,
                  const std::function<void(std::string_view)>& on_line,
                  std::chrono::seconds timeout, std::stop_token stop = {}) const;

  // This DB's snapshots (`restic snapshots --json --tag db=<name>`).
  [[nodiscard]] Result<nlohmann::json> snapshots(const std::string& db_name,
                                                 std::stop_token stop = {}) const;

  // Writes snapshot `id`'s file under `target` (at its original path
  // inside it, as `restic restore --target` does).
  [[nodiscard]] Result<void> restore(const std::string& id, const std::filesystem::path& target,
                                     std::stop_token stop = {}) const;

  // Forgets the snapshots tagged `db_tag` that keep_last and keep_daily do
  // not keep, all of them as one group; returns the forgotten snapshots.
  // Then prune() frees their space.
  [[nodiscard]] Result<nlohmann::json> forget(const std::string& db_tag, int keep_last,
                                              int keep_daily, std::stop_token stop = {}) const;
  [[nodiscard]] Result<void> prune(std::stop_token stop = {}) const;

  // Removes stale locks only (`restic unlock`): those of a restic that was
  // killed on this host, or not refreshed for 30 minutes. A copy stopped
  // at offsite.wait_seconds, a power cut or a SIGKILL leaves one, and the
  // next forget or prune would refuse to start beside it.
  [[nodiscard]] Result<void> unlock_stale(std::stop_token stop = {}) const;

 private:
  // Runs restic; the JSON it prints (a line starting with '[' or '{') is
  // the result. A failure names `what` and the repository, with restic's
  // last line of complaint.
  [[nodiscard]] Result<std::string> run_for_output(const std::vector<std::string>& args,
                                                   std::chrono::seconds timeout, std::stop_token stop,
                                                   const std::string& what) const;

  OffsiteConfig config_;
  std::filesystem::path program_;
  std::string name_;
};

// A repository address as a summary or a log may show it: a password in it
// (rest:https://user:secret@host/) becomes ***.
std::string redacted(const std::string& repository);

// The file names of the backups a snapshot (an entry of `restic snapshots
// --json` or of forget's lists) holds: one, for the supervisor's own. restic
// writes paths as UTF-8 text; they become paths through utf8_path, as
// the backups' own names do.
std::vector<std::string> snapshot_files(const nlohmann::json& snapshot);

// The tag that names a DB's snapshots: `db=<file name>` (commas, which
// restic reads as tag separators, become '_').
std::string offsite_db_tag(const std::filesystem::path& db);

class OffsiteCopier {
 public:
  OffsiteCopier(const OffsiteConfig& config, std::filesystem::path db,
                std::filesystem::path backup_dir, std::string run_id);
  ~OffsiteCopier();  // stops what runs, and waits for it
  OffsiteCopier(const OffsiteCopier&) = delete;

  // Asks for a sync (after a verified backup); returns at once.
  void sync();

  // Waits up to offsite.wait_seconds for the syncs asked for, then stops
  // what still runs (the next run copies it) and returns the record for
  // db_health.offsite.
  nlohmann::json finish();

  // What went wrong, one line each, for the warnings and the
  // offsite_failed event. Valid after finish().
  const std::vector<std::string>& failures() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace es
