// `engine-supervisor config check|show`.

#include "common/console.hpp"
#include "supervisor/commands/commands.hpp"
#include "supervisor/commands/config_source.hpp"

namespace es {

ExitCode run_config_check_command(const TargetOptions& target_options) {
  auto target = load_target_or_report(target_options);
  if (!target) return target.error().exit_code;
  console_write(ConsoleStream::kOut,
                "config ok: " + target->config.source_file.string() + "\n");
  return ExitCode::kSuccess;
}

ExitCode run_config_show_command(const TargetOptions& target_options) {
  auto target = load_target_or_report(target_options);
  if (!target) return target.error().exit_code;
  console_write(ConsoleStream::kOut, render_config(target->config));
  return ExitCode::kSuccess;
}

}  // namespace es
