#include "common/run_history.hpp"

#include "common/json_text.hpp"
#include "common/utf8_path.hpp"

#include <fstream>
#include <map>

#include "common/atomic_file.hpp"
#include "common/fs_ops.hpp"
#include "common/os_info.hpp"

namespace es {
namespace fs = std::filesystem;
using nlohmann::json;

fs::path RunHistory::path_for(const fs::path& db_path) {
  return with_suffix(db_path, ".supervisor-history.jsonl");
}

bool supervisor_gone(const RunRecord& run) {
  if (!run.running()) return false;
  const auto pid = run.started.find("supervisor_pid");
  return pid != run.started.end() && pid->is_number_integer() &&
         !process_exists(pid->get<long>());
}

Result<void> RunHistory::append(const json& event) const {
  return append_line_durably(file_, json_text(event));
}

json run_started_event(const std::string& run_id, const std::string& started_at,
                       const json& details) {
  json event = details;
  event["event"] = "run_started";
  event["run_id"] = run_id;
  event["started_at"] = started_at;
  return event;
}

json engine_started_event(const std::string& run_id, long pid, const std::string& at,
                          const std::string& cgroup) {
  json event = {{"event", "engine_started"}, {"run_id", run_id}, {"pid", pid}, {"at", at}};
  if (!cgroup.empty()) event["cgroup"] = cgroup;
  return event;
}

json stop_requested_event(const std::string& run_id, const std::string& at,
                          const std::string& reason) {
  return {{"event", "stop_requested"}, {"run_id", run_id}, {"at", at}, {"reason", reason}};
}

json data_loss_accepted_event(const std::string& run_id, const std::string& at,
                              const json& wal_evidence, const std::string& evidence_folder) {
  return {{"event", "data_loss_accepted"},
          {"run_id", run_id},
          {"at", at},
          {"wal_evidence", wal_evidence},
          {"evidence_folder", evidence_folder}};
}

json hot_journal_rolled_back_event(const std::string& run_id, const std::string& at,
                                   const json& hot_journal, const std::optional<json>& db) {
  json event = {{"event", "hot_journal_rolled_back"},
                {"run_id", run_id},
                {"at", at},
                {"hot_journal", hot_journal}};
  if (db) event["db"] = *db;
  return event;
}

json run_finished_event(const RunRecord& run) {
  json event = {{"event", "run_finished"},       {"run_id", run.run_id},
                {"outcome", run.outcome},        {"halt_reason", run.halt_reason},
                {"ended_at", run.ended_at.value_or("")}};
  event["exit_code"] = run.exit_code ? json(*run.exit_code) : json(nullptr);
  event["signal"] = run.signal ? json(*run.signal) : json(nullptr);
  // Names the backup that holds everything this run's engine wrote, so that
  // a restore of it can tell exactly which runs came after.
  if (run.post_session_backup) event["post_session_backup"] = *run.post_session_backup;
  return event;
}

namespace {

template <class T>
std::optional<T> optional_field(const json& event, const char* key) {
  const auto it = event.find(key);
  if (it == event.end() || it->is_null()) return std::nullopt;
  return it->get<T>();
}

// Reads every field lost-run recovery takes from a run_started event with
// its type, so that a wrongly typed one ("log_file": null) makes the line
// unreadable here, where it is skipped with its number, and not in the
// recovery of every later run, where it would abort.
void check_started_types(const json& event) {
  for (const char* key : {"summary_path", "summary_dir", "db_path", "backup_dir", "filesystem_type",
                          "integrity_check", "integrity_check_mode", "log_file", "config_file",
                          "supervisor_version"}) {
    if (const auto it = event.find(key); it != event.end()) (void)it->get<std::string>();
  }
  if (const auto it = event.find("command"); it != event.end()) {
    (void)it->get<std::vector<std::string>>();
  }
  if (const auto it = event.find("supervisor_pid"); it != event.end()) (void)it->get<long>();
  if (const auto it = event.find("pre_session_backup"); it != event.end() && !it->is_null()) {
    (void)it->get<std::string>();
  }
}

void apply(const json& event, std::map<std::string, std::size_t>& index,
           std::vector<RunRecord>& runs, std::vector<json>& others) {
  const auto type = event.at("event").get<std::string>();
  if (type == "run_started") {
    check_started_types(event);
    RunRecord run;
    run.run_id = event.at("run_id").get<std::string>();
    run.started_at = event.at("started_at").get<std::string>();
    run.summary_path = event.value("summary_path", "");
    run.started = event;
    index[run.run_id] = runs.size();
    runs.push_back(std::move(run));
    return;
  }
  if (!event.contains("run_id")) {
    others.push_back(event);
    return;
  }
  const auto found = index.find(event.at("run_id").get<std::string>());
  const bool run_state = type == "engine_started" || type == "run_finished" || type == "stop_requested";
  // Events that are not a run's state (an accepted data loss, recorded
  // before its run is marked running) are kept as they are.
  if (!run_state || found == index.end()) {
    if (!run_state) others.push_back(event);
    return;
  }
  RunRecord& run = runs[found->second];
  if (type == "engine_started") {
    run.engine_pid = event.at("pid").get<long>();
    run.engine_started_at = optional_field<std::string>(event, "at");
    run.engine_cgroup = optional_field<std::string>(event, "cgroup").value_or("");
  } else if (type == "run_finished") {
    run.outcome = event.at("outcome").get<std::string>();
    run.halt_reason = event.value("halt_reason", "");
    run.ended_at = optional_field<std::string>(event, "ended_at");
    run.exit_code = optional_field<int>(event, "exit_code");
    run.signal = optional_field<std::string>(event, "signal");
    run.post_session_backup = optional_field<std::string>(event, "post_session_backup");
  } else if (type == "stop_requested" && run.halt_reason.empty()) {
    run.halt_reason = event.value("reason", "");
  }
}

}  // namespace

namespace {

// Opening a FIFO for reading blocks until a writer comes: a history that is
// anything but a regular file is never opened for reading.
bool regular_or_missing(const fs::path& file) {
  std::error_code ec;
  const auto status = fs::status(file, ec);
  return !fs::exists(status) || fs::is_regular_file(status);
}

}  // namespace

LoadedHistory RunHistory::load() const {
  LoadedHistory loaded;
  if (!regular_or_missing(file_)) {
    loaded.warnings.push_back("run history " + file_.string() +
                              " is not a regular file (a FIFO, a folder or a device); it was not "
                              "read. Move it aside: the supervisor makes a new one");
    return loaded;
  }
  std::ifstream in(file_, std::ios::binary);
  if (!in) return loaded;
  std::map<std::string, std::size_t> index;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (line.empty()) continue;
    try {
      auto event = json::parse(line);
      apply(event, index, loaded.runs, loaded.other_events);
      loaded.events.push_back(std::move(event));
    } catch (const json::exception& e) {
      // nlohmann stops here: a torn or edited line is skipped, loudly.
      loaded.warnings.push_back("run history " + file_.string() + " line " +
                                std::to_string(number) + " is unreadable and was skipped (" +
                                e.what() + ")");
    }
  }
  return loaded;
}

Result<std::size_t> RunHistory::keep_newest_runs(std::size_t keep) const {
  if (!regular_or_missing(file_)) return std::size_t{0};  // load() says why
  std::ifstream in(file_, std::ios::binary);
  if (!in) return std::size_t{0};
  std::vector<std::string> lines;
  std::vector<std::size_t> starts;  // the lines where runs start
  for (std::string line; std::getline(in, line);) {
    const auto event = json::parse(line, nullptr, false);
    if (event.is_object() && event.value("event", "") == "run_started") starts.push_back(lines.size());
    lines.push_back(std::move(line));
  }
  if (starts.size() <= keep) return std::size_t{0};
  // Everything from the oldest run kept on: its events, and whatever came
  // after it (restores, the DB at rest), in order.
  const auto first_kept = starts[starts.size() - keep];
  std::string text;
  for (std::size_t i = first_kept; i < lines.size(); ++i) text.append(lines[i]).append("\n");
  if (auto written = write_file_atomically(file_, text); !written) return written.error();
  return starts.size() - keep;
}

}  // namespace es
