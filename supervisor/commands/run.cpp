// `engine-supervisor run`: one supervised session.

#include "supervisor/commands/commands.hpp"
#include "supervisor/commands/config_source.hpp"
#include "supervisor/lifecycle.hpp"
#include "supervisor/pause_on_exit.hpp"

namespace es {

ExitCode run_run_command(const RunOptions& options) {
  // No file logging yet: the lock comes first, so a refused second run
  // touches nothing of the running one, its log included.
  auto target = load_target_or_report(options.target);
  if (!target) {
    pause_if_wanted_before_config(target.error().exit_code);
    return target.error().exit_code;
  }
  const auto refuse = [](const Error& error) {
    report_failure(error);
    pause_if_wanted_before_config(error.exit_code);
    return error.exit_code;
  };
  if (target->config.source_file.empty()) {
    return refuse({ExitCode::kUsage,
                   "`run` needs a config file with engine.command (--config FILE); --db is "
                   "for check, backup, backups, history, restore and snapshot"});
  }
  if (target->config.engine.command.empty()) {
    return refuse({ExitCode::kConfigInvalid,
                   "config error in " + target->config.source_file.string() +
                       ", key 'engine.command': `run` needs the engine's command line"});
  }
  SessionRequest request{target->config, target->target_argument, options.version};
  request.accept_data_loss = options.accept_data_loss;
  request.accept_changed_db = options.accept_changed_db;
  const auto end = run_session(request);
  pause_if_wanted(target->config, end);
  return end.exit_code;
}

}  // namespace es
