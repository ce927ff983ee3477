// `engine-supervisor backup`: a manual backup, safe while the engine writes.

#include <spdlog/spdlog.h>

#include "common/backup_store.hpp"
#include "common/console.hpp"
#include "common/progress.hpp"
#include "supervisor/commands/commands.hpp"
#include "supervisor/commands/config_source.hpp"

namespace es {

ExitCode run_backup_command(const BackupOptions& options) {
  auto target = load_target_and_log(options.target);
  if (!target) return target.error().exit_code;
  const auto& config = target->config;
  const BackupStore store(config.database.path, config.database.backup_dir);

  ProgressDisplay display("backing up " + config.database.path.string());
  auto taken = store.take(BackupKind::kManual, retention_policy(config.db_safeguards),
                          Clock::now(), show_backup_progress(display));
  display.finish();
  if (!taken) {
    report_failure(taken.error());
    return taken.error().exit_code;
  }
  if (taken->skipped) {
    // Nothing to restore in it, and a backup would count as evidence that
    // the DB once held data (integrity_gate.hpp): none is written.
    report_failure(Error{ExitCode::kDbMissing, *taken->skipped});
    return ExitCode::kDbMissing;
  }
  for (const auto& warning : taken->warnings) spdlog::warn("{}", warning);
  spdlog::info("backup of {} written and verified in {:.2f} s", config.database.path.string(),
               taken->seconds);
  console_write(ConsoleStream::kOut, taken->file.path.string() + "\n");
  return ExitCode::kSuccess;
}

}  // namespace es
