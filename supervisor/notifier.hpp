#pragma once
// notify.command: someone hears of a run that went wrong, also when nobody
// reads the console (a scheduled task, a unit).
//
// The events of a run come from its summary (run_events): unclean, aborted,
// refused, backup_failed, check_failed, warning. For each one notify.on
// lists, the command runs once, as the engine does (argv, no shell; its own
// process group, Job Object on Windows), with:
//  - stdin: the summary JSON (from a private temporary file, removed after);
//  - ENGINE_SUPERVISOR_EVENT, _RUN_ID, _DB, _SUMMARY (the summary file, ""
//    when none was written) and a one-line _MESSAGE in its environment.
// It has notify.timeout_seconds, then it is killed with what it started.
// Its exit and its first lines of output are returned for the summary's
// `notifications`; a failing notifier is a warning, never another outcome.
// Blocking; called at the end of a run, after the summary was written.

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/config.hpp"
#include "common/session_summary.hpp"

namespace es {

struct RunEvent {
  std::string event;    // a name from known_notify_events()
  std::string message;  // one line: what happened, naming the run and the DB
};

// Every event the run's summary shows, in known_notify_events() order.
std::vector<RunEvent> run_events(const SessionSummary& summary, const std::string& db);

struct NotifyContext {
  std::string run_id;
  std::string db;
  std::string summary_file;  // "" when no summary was written
  std::filesystem::path temp_folder;  // where stdin's temporary goes (logging.dir)
};

struct NotifyResult {
  std::string event;
  std::optional<int> exit_code;
  std::optional<std::string> signal;
  bool timed_out = false;
  double seconds = 0;
  std::vector<std::string> output;  // its first lines, stdout and stderr together
  std::string error;                // it could not be started, and why
  bool ok() const { return error.empty() && !timed_out && exit_code == 0; }
  nlohmann::json to_json() const;
  std::string warning() const;  // for a failed one: event, command, cause
};

// Runs notify.command for each of `events` that notify.on lists, one after
// another; nothing when no command is configured.
std::vector<NotifyResult> notify(const NotifyConfig& config, const std::vector<RunEvent>& events,
                                 const NotifyContext& context, const nlohmann::json& summary);

}  // namespace es
