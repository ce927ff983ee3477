// `engine-supervisor status [--json]`: one DB at a glance, for a person or
// a monitor. Reads the lock file's record, the run history, the last
// summary and the backups as files: it takes no lock, so it never waits for
// a live run nor gets in its way, and it creates and changes nothing.
// Exit codes in the spirit of `systemctl is-active` (docs/exit-codes.md).

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "common/backup_store.hpp"
#include "common/console.hpp"
#include "common/json_text.hpp"
#include "common/os_info.hpp"
#include "common/run_history.hpp"
#include "common/session_lock.hpp"
#include "common/session_summary.hpp"
#include "common/time_stamp.hpp"
#include "common/utf8_path.hpp"
#include "common/wal_fold.hpp"
#include "supervisor/commands/commands.hpp"
#include "supervisor/commands/config_source.hpp"

namespace es {
namespace fs = std::filesystem;

namespace {

// Seconds from an ISO 8601 UTC time to now; null when it does not parse.
nlohmann::json age_of(const std::string& at, Clock::time_point now) {
  const auto when = parse_iso8601_utc(at);
  if (!when) return nullptr;
  return std::chrono::duration<double>(now - *when).count();
}

std::string describe_seconds(const nlohmann::json& seconds) {
  if (!seconds.is_number()) return "unknown";
  return describe_age(std::chrono::seconds(static_cast<long long>(seconds.get<double>())));
}

// The live run, if one is: the newest run is still open and its supervisor
// lives. The lock file's record (read, never locked) gives its heartbeat.
nlohmann::json live_run(const LoadedHistory& history, const fs::path& db, Clock::time_point now) {
  if (history.runs.empty() || !history.runs.back().running()) return nullptr;
  const auto& run = history.runs.back();
  const auto pid = run.started.value("supervisor_pid", 0L);
  if (pid <= 0 || !process_exists(pid)) return nullptr;
  nlohmann::json live{{"pid", pid},
                      {"run_id", run.run_id},
                      {"since", run.started_at},
                      {"heartbeat_at", nullptr},
                      {"heartbeat_age_seconds", nullptr}};
  if (const auto holder = read_lock_record(SessionLock::path_for(db));
      holder && holder->pid == pid) {
    live["heartbeat_at"] = holder->heartbeat_at;
    live["heartbeat_age_seconds"] = age_of(holder->heartbeat_at, now);
  }
  return live;
}

const RunRecord* last_finished(const LoadedHistory& history) {
  for (auto run = history.runs.rbegin(); run != history.runs.rend(); ++run) {
    if (!run->running()) return &*run;
  }
  return nullptr;
}

nlohmann::json last_warnings(const RunRecord* run) {
  if (!run || run->summary_path.empty()) return nlohmann::json::array();
  const auto summary = read_summary(utf8_path(run->summary_path));
  const auto warnings = summary.value("/db_health/warnings"_json_pointer, nlohmann::json::array());
  return warnings.is_array() ? warnings : nlohmann::json::array();
}

std::string text_of(const nlohmann::json& status) {
  std::string out = "DB:           " + status["db"].get<std::string>() + "\n";
  const auto& live = status["live_run"];
  if (live.is_object()) {
    out += fmt::format("live run:     {} (pid {}) since {}, last heartbeat {} ago\n",
                       live["run_id"].get<std::string>(), live["pid"].get<long>(),
                       live["since"].get<std::string>(),
                       describe_seconds(live["heartbeat_age_seconds"]));
  } else {
    out += "live run:     none\n";
  }
  const auto& last = status["last_run"];
  if (last.is_object()) {
    out += fmt::format("last run:     {} {} ({}), ended {}\n", last["run_id"].get<std::string>(),
                       last["outcome"].get<std::string>(), last["halt_reason"].get<std::string>(),
                       last["ended_at"].is_string() ? last["ended_at"].get<std::string>() : "-");
  } else {
    out += "last run:     none recorded\n";
  }
  const auto& backup = status["newest_good_backup"];
  if (backup.is_object()) {
    out += fmt::format("newest good backup: {} ({} old)\n", backup["file"].get<std::string>(),
                       describe_seconds(backup["age_seconds"]));
  } else {
    out += "newest good backup: none\n";
  }
  out += "DB at rest:   ";
  for (const auto& file : status["db_at_rest"]) {
    out += fmt::format("{} ({} bytes)  ", file["name"].get<std::string>(),
                       file["bytes"].get<std::uintmax_t>());
  }
  if (status["db_at_rest"].empty()) out += "no DB file";
  out += "\n";
  for (const auto& warning : status["warnings"]) out += "warning: " + warning.get<std::string>() + "\n";
  return out;
}

}  // namespace

ExitCode run_status_command(const StatusOptions& options) {
  auto target = load_target_or_report(options.target);
  if (!target) return target.error().exit_code;
  const auto& db = target->config.database.path;
  const auto now = Clock::now();
  const auto history = RunHistory(RunHistory::path_for(db)).load();
  for (const auto& warning : history.warnings) spdlog::warn("{}", warning);

  nlohmann::json status{{"db", db.string()}, {"live_run", live_run(history, db, now)}};
  const auto* last = last_finished(history);
  status["last_run"] = nullptr;
  if (last) {
    status["last_run"] = {{"run_id", last->run_id},
                          {"outcome", last->outcome},
                          {"halt_reason", last->halt_reason},
                          {"started_at", last->started_at},
                          {"ended_at", last->ended_at ? nlohmann::json(*last->ended_at) : nullptr}};
  }
  status["newest_good_backup"] = nullptr;
  const BackupStore store(db, target->config.database.backup_dir);
  if (auto good = store.newest_verified(CheckMode::kQuick, now)) {
    status["newest_good_backup"] = {
        {"file", good->file.path.string()},
        {"kind", std::string(to_string(good->file.name.kind))},
        {"bytes", good->file.size},
        {"age_seconds", good->file.dating.taken
                            ? nlohmann::json(std::chrono::duration<double>(now - *good->file.dating.taken).count())
                            : nullptr}};
  }
  nlohmann::json at_rest = nlohmann::json::array();
  for (const auto& file : files_at_rest(db)) at_rest.push_back({{"name", file.name}, {"bytes", file.bytes}});
  status["db_at_rest"] = at_rest;
  status["warnings"] = last_warnings(last);

  const ExitCode code = status["live_run"].is_object()          ? ExitCode::kSuccess
                        : !last && history.runs.empty()         ? ExitCode::kStatusNoHistory
                        : last && last->outcome == "clean"      ? ExitCode::kSuccess
                                                                : ExitCode::kStatusNotClean;
  status["exit_code"] = to_int(code);
  console_write(ConsoleStream::kOut, options.json ? json_text(status, 2) + "\n" : text_of(status));
  return code;
}

}  // namespace es
