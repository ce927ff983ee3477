// `engine-supervisor check`: the integrity gate, by hand.

#include <nlohmann/json.hpp>

#include "common/console.hpp"
#include "common/integrity_gate.hpp"
#include "common/logging.hpp"
#include "supervisor/commands/commands.hpp"
#include "supervisor/commands/config_source.hpp"

namespace es {

namespace {

std::string result_word(const GateResult& gate) {
  if (gate.passed()) return "ok";
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

  const auto gate = run_integrity_gate(GateRequest{config.database.path, config.database.backup_dir,
                                                   mode, /*allow_missing=*/false,
                                                   target->target_argument});
  if (options.json) {
    const nlohmann::json out = {{"db_path", config.database.path.string()},
                                {"result", result_word(gate)},
                                {"messages", message_lines(gate)},
                                {"mode", std::string(to_string(mode))},
                                {"seconds", gate.report.seconds}};
    console_write(ConsoleStream::kOut, out.dump(2) + "\n");
    if (gate.failure) log_to_files_only(gate.failure->message);
  } else if (gate.passed()) {
    console_write(ConsoleStream::kOut, "ok\n");
  } else {
    report_failure(*gate.failure);
  }
  return gate.passed() ? ExitCode::kSuccess : gate.failure->exit_code;
}

}  // namespace es
