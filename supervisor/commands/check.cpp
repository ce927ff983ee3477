// `engine-supervisor check`: the integrity gate, by hand.

#include <nlohmann/json.hpp>

#include <spdlog/spdlog.h>

#include "common/console.hpp"
#include "common/db_checks.hpp"
#include "common/db_location.hpp"
#include "common/json_text.hpp"
#include "common/integrity_gate.hpp"
#include "common/logging.hpp"
#include "common/progress.hpp"
#include "supervisor/commands/commands.hpp"
#include "supervisor/commands/config_source.hpp"

namespace es {

namespace {

std::string result_word(const GateResult& gate) {
  if (gate.passed()) return "ok";
  if (gate.wal_lost) return "wal_lost";
  if (gate.report.ok()) return "empty";
  return std::string(to_string(gate.report.verdict));
}

std::vector<std::string> message_lines(const GateResult& gate) {
  std::vector<std::string> lines;
  if (!gate.failure) return gate.report.rows;
  std::string text = gate.failure->message;
  for (std::size_t start = 0; start < text.size();) {
    auto end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    if (end > start) lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

}  // namespace

ExitCode run_check_command(const CheckOptions& options) {
  auto target = load_target_and_log(options.target);
  if (!target) return target.error().exit_code;
  const auto& config = target->config;
  const CheckMode mode =
      options.quick ? CheckMode::kQuick : config.db_safeguards.integrity_check_mode;

  ProgressDisplay display("checking " + config.database.path.string());
  const auto gate = run_integrity_gate(
      GateRequest{config.database.path, config.database.backup_dir, mode,
                  /*allow_missing=*/false, target->target_argument},
      show_check_progress(display));
  display.finish();
  // The two rules `run` enforces, reported here without changing the verdict.
  const auto location = check_db_location(config.database.path, true);
  const auto holders = find_open_holders(live_db_files(config.database.path));
  if (location.filesystem.network) {
    spdlog::warn("{} is on a network filesystem ({}), where SQLite's WAL mode does not work; `run` "
                 "refuses it while database.require_local_filesystem is true",
                 config.database.path.string(), location.filesystem.type);
  }
  if (auto open_elsewhere = open_elsewhere_error(config.database.path, holders)) {
    spdlog::warn("{}", open_elsewhere->message);
  }
  if (gate.hot_journal) {
    spdlog::warn("{}", hot_journal_notice(*gate.hot_journal, config.database.backup_dir));
  }
  // The application's own invariants, as `run` checks them at startup: a
  // refuse check that fails fails the check too.
  std::vector<DbCheckResult> invariants;
  std::optional<Error> invariant_failure;
  if (gate.passed() && !config.db_checks.empty()) {
    invariants = run_db_checks(config.database.path, config.db_checks, DbCheckPhase::kStartup);
    for (const auto& result : invariants) {
      if (result.passed) continue;
      if (result.refuse && !invariant_failure) {
        invariant_failure = Error{ExitCode::kIntegrityFailed,
                                  db_check_failure_message(config.database.path, result)};
      } else if (!result.refuse) {
        spdlog::warn("{}", result.headline());
      }
    }
  }
  const auto* failure = gate.failure ? &*gate.failure : invariant_failure ? &*invariant_failure : nullptr;
  if (options.json) {
    nlohmann::json open_by = nlohmann::json::array();
    for (const auto& holder : holders) {
      nlohmann::json entry{{"pid", holder.pid},
                           {"executable", holder.executable},
                           {"file", holder.file.string()},
                           {"engine_supervisor", is_supervisor(holder)}};
      if (!holder.opened_as.empty()) entry["opened_as"] = holder.opened_as.string();
      open_by.push_back(entry);
    }
    const nlohmann::json out = {
        {"db_path", config.database.path.string()},
        {"result", result_word(gate)},
        {"messages", message_lines(gate)},
        {"mode", std::string(to_string(mode))},
        {"seconds", gate.report.seconds},
        {"filesystem", {{"type", location.filesystem.type}, {"network", location.filesystem.network}}},
        {"open_elsewhere", open_by},
        {"wal_evidence", gate.wal ? to_json(*gate.wal) : nlohmann::json(nullptr)},
        {"hot_journal", gate.hot_journal ? to_json(*gate.hot_journal) : nlohmann::json(nullptr)}};
    nlohmann::json checks = nlohmann::json::array();
    for (const auto& result : invariants) checks.push_back(to_json(result));
    auto shown = out;
    shown["db_checks"] = checks;
    if (invariant_failure) {
      shown["result"] = "db_check_failed";
      shown["messages"] = nlohmann::json::array({invariant_failure->message});
    }
    console_write(ConsoleStream::kOut, json_text(shown, 2) + "\n");
    if (failure) log_to_files_only(failure->message);
  } else if (!failure) {
    console_write(ConsoleStream::kOut, "ok\n");
  } else {
    report_failure(*failure);
  }
  return failure ? failure->exit_code : ExitCode::kSuccess;
}

}  // namespace es
