// `engine-supervisor history`: the runs of this DB, newest first.

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <vector>

#include "common/console.hpp"
#include "common/json_text.hpp"
#include "common/run_history.hpp"
#include "supervisor/commands/commands.hpp"
#include "supervisor/commands/config_source.hpp"

namespace es {
namespace {

// The outcome as the table shows it. A run whose window (or terminal) was
// closed goes on without it: it is stopping the engine, and will run its
// post-session steps and write its summary. Say so, not a bare "running"
// that reads like a run nobody stopped, nor "lost".
std::string shown_outcome(const RunRecord& run, bool lost) {
  if (lost) return "lost";
  if (run.running() && run.halt_reason == "console_closed") return "running (window closed)";
  return run.outcome;
}

}  // namespace

ExitCode run_history_command(const HistoryOptions& options) {
  auto target = load_target_or_report(options.target);
  if (!target) return target.error().exit_code;
  const RunHistory history(RunHistory::path_for(target->config.database.path));
  auto loaded = history.load();
  for (const auto& warning : loaded.warnings) spdlog::warn("{}", warning);

  nlohmann::json rows = nlohmann::json::array();
  std::vector<std::array<std::string, 6>> table{
      {"run_id", "started_at", "ended_at", "outcome", "halt_reason", "exit"}};
  std::size_t outcome_width = 8;
  int shown = 0;
  for (auto run = loaded.runs.rbegin(); run != loaded.runs.rend() && shown < options.limit;
       ++run, ++shown) {
    const std::string code = run->exit_code ? std::to_string(*run->exit_code)
                             : run->signal  ? *run->signal
                                            : "-";
    const bool lost = supervisor_gone(*run);
    const std::string outcome = lost ? "lost" : run->outcome;
    const std::string halt_reason = lost ? "supervisor_lost" : run->halt_reason;
    rows.push_back({{"run_id", run->run_id},
                    {"started_at", run->started_at},
                    {"ended_at", run->ended_at ? nlohmann::json(*run->ended_at) : nullptr},
                    {"outcome", outcome},
                    {"halt_reason", halt_reason},
                    {"exit_code", run->exit_code ? nlohmann::json(*run->exit_code) : nullptr},
                    {"signal", run->signal ? nlohmann::json(*run->signal) : nullptr}});
    table.push_back({run->run_id, run->started_at, run->ended_at.value_or("-"),
                     shown_outcome(*run, lost), halt_reason, code});
    outcome_width = std::max(outcome_width, table.back()[3].size());
  }
  std::string text;
  for (const auto& row : table) {
    text += fmt::format("{:<26} {:<20} {:<20} {:<{}} {:<22} {}\n", row[0], row[1], row[2], row[3],
                        outcome_width, row[4], row[5]);
  }
  if (options.json) {
    console_write(ConsoleStream::kOut, json_text(rows, 2) + "\n");
  } else if (rows.empty()) {
    console_write(ConsoleStream::kOut, "no runs recorded in " + history.file().string() + "\n");
  } else {
    console_write(ConsoleStream::kOut, text);
  }
  return ExitCode::kSuccess;
}

}  // namespace es
