#include "supervisor/notifier.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

#include "common/atomic_file.hpp"
#include "common/fs_ops.hpp"
#include "common/json_text.hpp"
#include "common/os_info.hpp"
#include "supervisor/child_command.hpp"

namespace es {
namespace fs = std::filesystem;

namespace {

constexpr std::size_t kKeptLines = 10;
constexpr std::size_t kKeptLineBytes = 500;

bool check_failed(const SessionSummary& s) {
  const auto& h = s.db_health;
  return s.halt_reason == "integrity_failed" || s.halt_reason.starts_with("db_check_failed:") ||
         (h.post_session_integrity && *h.post_session_integrity != "ok");
}

std::string first_line(std::string text) {
  text = text.substr(0, text.find('\n'));
  return text;
}

}  // namespace

std::vector<RunEvent> run_events(const SessionSummary& s, const std::string& db) {
  const auto& h = s.db_health;
  const std::string run = "run " + (s.run_id.empty() ? std::string("(none)") : s.run_id) + " of " + db;
  std::vector<RunEvent> events;
  if (s.outcome == "unclean") events.push_back({"unclean", run + ": unclean (" + s.halt_reason + ")"});
  if (s.outcome == "aborted") {
    events.push_back({"aborted", run + ": aborted (" + first_line(s.halt_reason) + ")"});
  }
  if (s.outcome == "refused") {
    events.push_back({"refused", run + ": refused: " + first_line(s.halt_reason)});
  }
  for (const auto& [which, error] : {std::pair{"pre-session", h.pre_session_backup_error},
                                     std::pair{"post-session", h.post_session_backup_error}}) {
    if (error) {
      events.push_back({"backup_failed", run + ": the " + which + " backup failed: " + first_line(*error)});
      break;
    }
  }
  if (check_failed(s)) {
    const auto what = s.halt_reason == "integrity_failed" ? "integrity_check: " + h.integrity_check
                      : s.halt_reason.starts_with("db_check_failed:")
                          ? s.halt_reason
                          : "post-session check: " + h.post_session_integrity.value_or("");
    events.push_back({"check_failed", run + ": " + first_line(what)});
  }
  if (h.offsite.is_object() && !h.offsite.value("failed", nlohmann::json::array()).empty()) {
    events.push_back({"offsite_failed",
                      run + ": " + first_line(h.offsite["failed"].front().get<std::string>())});
  }
  if (!h.warnings.empty()) {
    events.push_back({"warning", run + ": " + first_line(h.warnings.front()) +
                                     (h.warnings.size() > 1
                                          ? " (and " + std::to_string(h.warnings.size() - 1) + " more)"
                                          : "")});
  }
  return events;
}

nlohmann::json NotifyResult::to_json() const {
  return {{"event", event},
          {"exit_code", exit_code ? nlohmann::json(*exit_code) : nullptr},
          {"signal", signal ? nlohmann::json(*signal) : nullptr},
          {"timed_out", timed_out},
          {"seconds", seconds},
          {"output", output},
          {"error", error.empty() ? nlohmann::json(nullptr) : nlohmann::json(error)}};
}

std::string NotifyResult::warning() const {
  const std::string cause = !error.empty() ? error
                            : timed_out    ? "it did not finish within notify.timeout_seconds and was killed"
                            : signal       ? "it was killed by " + *signal
                                           : "it exited with code " + std::to_string(exit_code.value_or(-1));
  return "the notifier for the event " + event + " failed: " + cause +
         (output.empty() ? "" : "; it said: " + output.front());
}

namespace {

NotifyResult run_one(const NotifyConfig& config, const RunEvent& event, const NotifyContext& context,
                     const fs::path& input) {
  NotifyResult result;
  result.event = event.event;
  ChildCommand command;
  command.argv = config.command;
  command.extra_env = {{"ENGINE_SUPERVISOR_EVENT", event.event},
                       {"ENGINE_SUPERVISOR_RUN_ID", context.run_id},
                       {"ENGINE_SUPERVISOR_DB", context.db},
                       {"ENGINE_SUPERVISOR_SUMMARY", context.summary_file},
                       {"ENGINE_SUPERVISOR_MESSAGE", event.message}};
  command.name = (context.run_id.empty() ? std::to_string(current_process_id()) : context.run_id) +
                 "-notify-" + event.event;
  command.stdin_file = input;
  command.timeout = std::chrono::seconds(config.timeout_seconds);
  command.on_line = [&](std::string_view line) {
    // On the console and in the logs too: whoever watches sees it.
    spdlog::info("[notify {}] {}", event.event, line);
    if (result.output.size() < kKeptLines) result.output.emplace_back(line.substr(0, kKeptLineBytes));
  };
  const auto ran = run_child(command);
  result.exit_code = ran.exit_code;
  result.signal = ran.signal;
  result.timed_out = ran.timed_out;
  result.seconds = ran.seconds;
  result.error = ran.error;
  return result;
}

}  // namespace

std::vector<NotifyResult> notify(const NotifyConfig& config, const std::vector<RunEvent>& events,
                                 const NotifyContext& context, const nlohmann::json& summary) {
  std::vector<NotifyResult> results;
  if (config.command.empty()) return results;
  std::vector<const RunEvent*> chosen;
  for (const auto& event : events) {
    if (std::find(config.on.begin(), config.on.end(), event.event) != config.on.end()) {
      chosen.push_back(&event);
    }
  }
  if (chosen.empty()) return results;
  // The summary on stdin, from a private file of ours: the summary file
  // itself may not exist (a refused run writes none).
  (void)create_private_folder(context.temp_folder);
  const auto input = context.temp_folder /
                     ("notify-input." + std::to_string(current_process_id()) + ".json.tmp");
  if (auto written = write_file_atomically(input, json_text(summary, 2) + "\n"); !written) {
    for (const auto* event : chosen) {
      NotifyResult failed;
      failed.event = event->event;
      failed.error = "its input could not be written: " + written.error().message;
      results.push_back(std::move(failed));
    }
    return results;
  }
  for (const auto* event : chosen) results.push_back(run_one(config, *event, context, input));
  (void)remove_file(input);
  return results;
}

}  // namespace es
