#include "supervisor/run_recovery.hpp"
#include "common/utf8_path.hpp"

#include <spdlog/spdlog.h>

#include "common/process_table.hpp"
#include "common/run_leftovers.hpp"
#include "common/session_summary.hpp"

namespace es {
namespace fs = std::filesystem;

namespace {

std::optional<std::string> optional_string(const nlohmann::json& event, const char* key) {
  const auto it = event.find(key);
  if (it == event.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

SessionSummary lost_run_summary(const RunRecord& run, const std::string& ended_at) {
  const auto& started = run.started;
  SessionSummary summary;
  summary.run_id = run.run_id;
  summary.started_at = run.started_at;
  summary.ended_at = ended_at;
  summary.outcome = "unclean";
  summary.halt_reason = "supervisor_lost";
  summary.engine.command = started.value("command", std::vector<std::string>{});
  summary.engine.pid = run.engine_pid;
  summary.log_file = started.value("log_file", "");
  summary.config_file = started.value("config_file", "");
  summary.supervisor_version = started.value("supervisor_version", "");
  auto& health = summary.db_health;
  health.integrity_check = started.value("integrity_check", "unknown");
  health.pre_session_backup = optional_string(started, "pre_session_backup");
  health.db_path = started.value("db_path", "");
  health.integrity_check_mode = started.value("integrity_check_mode", "");
  // Recorded since issue 11.20; an older line has none (0: not known).
  if (const auto seconds = started.find("integrity_check_seconds");
      seconds != started.end() && seconds->is_number()) {
    health.integrity_check_seconds = seconds->get<double>();
  }
  health.backup_dir = started.value("backup_dir", "");
  health.filesystem_type = started.value("filesystem_type", "");
  health.continuity = started.value("continuity", "not_checked");
  health.warnings.push_back(
      "the supervisor of this run was lost (killed, power cut, or console closed before cleanup "
      "finished); recorded at the next start. No post-session check or backup was taken.");
  return summary;
}

}  // namespace

std::optional<Error> find_run_leftovers(const SessionLock& lock, const RunHistory& history,
                                        const fs::path& db_path) {
  const auto traces = run_traces(history.load(), lock.previous());
  const auto found = find_leftovers(traces, process_view());
  if (found.empty()) return std::nullopt;
  return leftovers_refusal(db_path, found);
}

int recover_lost_runs(const SessionLock& lock, const RunHistory& history, const Config& config) {
  auto loaded = history.load();
  for (const auto& warning : loaded.warnings) spdlog::warn("{}", warning);
  int closed = 0;
  for (auto run : loaded.runs) {
    if (!run.running()) continue;
    const auto& previous = lock.previous();
    const bool heartbeat_known =
        previous && previous->run_id == run.run_id && !previous->heartbeat_at.empty();
    const std::string ended_at = heartbeat_known ? previous->heartbeat_at : run.started_at;
    run.outcome = "unclean";
    run.halt_reason = "supervisor_lost";
    run.ended_at = ended_at;
    // The summary first, the history line last, as a run itself does: this
    // supervisor may be killed too, and a run still `running` is recovered
    // again at the next start, while a closed one would stay without a
    // summary for good.
    std::string summary_note;
    const fs::path summary_file = run.summary_path.empty()
                                      ? summary_path(config.summary_dir, run.run_id)
                                      : utf8_path(run.summary_path);
    std::error_code ec;
    if (!fs::exists(summary_file, ec)) {
      auto written = write_summary(summary_file.parent_path(), lost_run_summary(run, ended_at));
      summary_note = written ? "; its summary was written to " + written->string()
                             : "; its summary could not be written: " + written.error().message;
    }
    if (auto appended = history.append(run_finished_event(run)); !appended) {
      spdlog::error("could not record lost run {} in the history: {}", run.run_id,
                    appended.error().message);
    }
    // find_run_leftovers found nothing in it: the engine's cgroup is empty.
    if (!run.engine_cgroup.empty() && !remove_empty_cgroup(run.engine_cgroup)) {
      spdlog::warn("could not remove the lost run's cgroup {}", run.engine_cgroup);
    }
    spdlog::warn(
        "previous run {} (started {}) did not finish: its supervisor was lost (killed, power cut, "
        "or console closed). Recorded as unclean / supervisor_lost, last known alive at {}{}. "
        "The integrity gate below checks the DB before the engine starts again.",
        run.run_id, run.started_at, ended_at, summary_note);
    ++closed;
  }
  return closed;
}

}  // namespace es
