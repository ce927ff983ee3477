// `engine-supervisor backups`: this DB's backups, newest first, verified.

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "common/backup_store.hpp"
#include "common/console.hpp"
#include "common/json_text.hpp"
#include "common/time_stamp.hpp"
#include "supervisor/commands/commands.hpp"
#include "supervisor/commands/config_source.hpp"

namespace es {

ExitCode run_backups_command(const BackupsOptions& options) {
  auto target = load_target_and_log(options.target);
  if (!target) return target.error().exit_code;
  const auto& config = target->config;
  const BackupStore store(config.database.path, config.database.backup_dir);

  nlohmann::json rows = nlohmann::json::array();
  std::string table;
  std::string anomalies;
  for (const auto& backup : store.list()) {
    const auto report = run_integrity_check(backup.path, CheckMode::kQuick);
    const bool verifies = report.ok() && report.page_count > 0;
    rows.push_back({{"path", backup.path.string()},
                    {"kind", std::string(to_string(backup.name.kind))},
                    {"time", iso8601_utc(backup.name.stamp)},
                    {"future_stamp", backup.dating.future_stamp},
                    {"size", backup.size},
                    {"verifies", verifies},
                    {"check", report.first_failure()}});
    table += fmt::format("{:<7} {}{} {:>12}  {:<9} {}\n", to_string(backup.name.kind),
                         iso8601_utc(backup.name.stamp), backup.dating.future_stamp ? "!" : " ",
                         backup.size, verifies ? "verifies" : "BROKEN", backup.path.string());
    if (backup.dating.future_stamp) anomalies += "! " + future_stamp_warning(backup) + "\n";
  }
  if (options.json) {
    console_write(ConsoleStream::kOut, json_text(rows, 2) + "\n");
  } else if (rows.empty()) {
    console_write(ConsoleStream::kOut, "no backups of " + config.database.path.string() + " in " +
                                           config.database.backup_dir.string() + "\n");
  } else {
    console_write(ConsoleStream::kOut,
                  fmt::format("{:<7} {:<20}  {:>12}  {:<9} {}\n", "kind", "time (UTC)", "bytes",
                              "check", "path") +
                      table + anomalies);
  }
  return ExitCode::kSuccess;
}

}  // namespace es
