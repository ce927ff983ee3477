// `engine-supervisor backups`: this DB's backups, newest first, verified.

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "common/backup_store.hpp"
#include "common/console.hpp"
#include "common/json_text.hpp"
#include "common/time_stamp.hpp"
#include "supervisor/commands/commands.hpp"
#include "supervisor/commands/config_source.hpp"
#include "supervisor/offsite_snapshots.hpp"

namespace es {

namespace {

ExitCode list_offsite(const Config& config, bool json) {
  const auto fail = [](const Error& error) {
    report_failure(error);
    return error.exit_code;
  };
  const auto restic = open_offsite(config, "backups");
  if (!restic) return fail(restic.error());
  const auto listed = list_offsite_snapshots(*restic, config.database.path);
  if (!listed) return fail(listed.error());
  nlohmann::json rows = nlohmann::json::array();
  std::string table;
  for (const auto& snapshot : *listed) {
    rows.push_back({{"snapshot", snapshot.id},
                    {"short_id", snapshot.short_id},
                    {"time", iso8601_utc(snapshot.taken)},
                    {"kind", snapshot.kind},
                    {"run_id", snapshot.run},
                    {"file", snapshot.file},
                    {"host", snapshot.host}});
    table += fmt::format("{:<9} {:<20}  {:<7} {:<20} {}\n", snapshot.short_id,
                         iso8601_utc(snapshot.taken), snapshot.kind, snapshot.run, snapshot.file);
  }
  if (json) {
    console_write(ConsoleStream::kOut, json_text(rows, 2) + "\n");
  } else if (rows.empty()) {
    console_write(ConsoleStream::kOut, "no snapshots of " + config.database.path.filename().string() +
                                           " in the off-site repository\n");
  } else {
    console_write(ConsoleStream::kOut, fmt::format("{:<9} {:<20}  {:<7} {:<20} {}\n", "snapshot",
                                                   "time (UTC)", "kind", "run", "file") +
                                           table);
  }
  return ExitCode::kSuccess;
}

}  // namespace

ExitCode run_backups_command(const BackupsOptions& options) {
  auto target = load_target_and_log(options.target);
  if (!target) return target.error().exit_code;
  const auto& config = target->config;
  if (options.offsite) return list_offsite(config, options.json);
  const BackupStore store(config.database.path, config.database.backup_dir);

  nlohmann::json rows = nlohmann::json::array();
  std::string table;
  std::string anomalies;
  for (const auto& [backup, verifies, failure] : store.list_checked()) {
    rows.push_back({{"path", backup.path.string()},
                    {"kind", std::string(to_string(backup.name.kind))},
                    {"time", iso8601_utc(backup.name.stamp)},
                    {"future_stamp", backup.dating.future_stamp},
                    {"size", backup.size},
                    {"verifies", verifies},
                    {"check", failure}});
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
