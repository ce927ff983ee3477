// `engine-supervisor backup`: a manual backup, safe while the engine writes.

#include <spdlog/spdlog.h>

#include "common/backup_store.hpp"
#include "common/console.hpp"
#include "common/progress.hpp"
#include "supervisor/commands/commands.hpp"
#include "supervisor/commands/config_source.hpp"
#include "supervisor/stoppable_step.hpp"

namespace es {

ExitCode run_backup_command(const BackupOptions& options) {
  auto target = load_target_and_log(options.target);
  if (!target) return target.error().exit_code;
  const auto& config = target->config;
  const BackupStore store(config.database.path, config.database.backup_dir);

  ProgressDisplay display("backing up " + config.database.path.string());
  // A Ctrl+C abandons the copy and removes its temporary (stoppable_step.hpp).
  std::optional<Result<TakenBackup>> taken;
  run_stoppable_step("the backup of " + config.database.path.string(), [&](std::stop_token stop) {
    taken = store.take(BackupKind::kManual, retention_policy(config.db_safeguards), Clock::now(),
                       show_backup_progress(display), stop);
  });
  display.finish();
  if (!*taken) {
    report_failure(taken->error());
    return taken->error().exit_code;
  }
  const auto& backup = taken->value();
  if (backup.skipped) {
    // Nothing to restore in it, and a backup would count as evidence that
    // the DB once held data (integrity_gate.hpp): none is written.
    report_failure(Error{ExitCode::kDbMissing, *backup.skipped});
    return ExitCode::kDbMissing;
  }
  for (const auto& warning : backup.warnings) spdlog::warn("{}", warning);
  spdlog::info("backup of {} written and verified in {:.2f} s", config.database.path.string(),
               backup.seconds);
  console_write(ConsoleStream::kOut, backup.file.path.string() + "\n");
  return ExitCode::kSuccess;
}

}  // namespace es
