// `engine-supervisor run`: one supervised session; in a console window that
// can close, a viewer there and the session in a detached run
// (supervisor/viewer.hpp).

#include <spdlog/spdlog.h>

#include "supervisor/commands/commands.hpp"
#include "supervisor/commands/config_source.hpp"
#include "supervisor/lifecycle.hpp"
#include "supervisor/pause_on_exit.hpp"
#include "supervisor/platform/run_detach.hpp"
#include "supervisor/viewer.hpp"
#include "supervisor/viewer_channel.hpp"

namespace es {

namespace {

std::string utf8_text(const std::filesystem::path& path) {
  const auto text = path.u8string();
  return std::string(reinterpret_cast<const char*>(text.data()), text.size());
}

// The same run, as the viewer starts it: the resolved config file, so
// neither the folder nor the search order can pick another one.
std::vector<std::string> detached_run_arguments(const Config& config, const RunOptions& options) {
  std::vector<std::string> arguments{"run", "--config", utf8_text(config.source_file)};
  if (options.accept_data_loss) arguments.emplace_back("--accept-data-loss");
  if (options.accept_changed_db) arguments.emplace_back("--accept-changed-db");
  arguments.emplace_back("--as-detached-run");
  return arguments;
}

}  // namespace

ExitCode run_run_command(const RunOptions& options) {
  if (options.as_detached_run) {
    // First: a window closed while the config loads is a stop already.
    prepare_detached_run();
    adopt_viewer_channel();
  }
  // No file logging yet: the lock comes first, so a refused second run
  // touches nothing of the running one, its log included.
  auto target = load_target_or_report(options.target);
  if (!target) {
    if (!options.as_detached_run) pause_if_wanted_before_config(target.error().exit_code);
    return target.error().exit_code;
  }
  const auto refuse = [&options](const Error& error) {
    report_failure(error);
    if (!options.as_detached_run) pause_if_wanted_before_config(error.exit_code);
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
  if (!options.as_detached_run && wants_viewer(target->config.console_mode)) {
    auto shown = show_detached_run(detached_run_arguments(target->config, options));
    if (shown) {
      if (!shown->window_closed) pause_if_wanted_after_viewer(target->config, shown->exit_code);
      return shown->exit_code;
    }
    spdlog::warn("{}; the run goes on inside this window instead, and closing the window ends it "
                 "within seconds",
                 shown.error().message);
  }
  SessionRequest request{target->config, target->target_argument, options.version};
  request.accept_data_loss = options.accept_data_loss;
  request.accept_changed_db = options.accept_changed_db;
  const auto end = run_session(request);
  // A detached run's stdin is its channel, and its viewer pauses, not it.
  if (!options.as_detached_run) pause_if_wanted(target->config, end);
  return end.exit_code;
}

}  // namespace es
