#include "supervisor/pause_on_exit.hpp"

#include <iostream>

#include "common/backup_store.hpp"
#include "common/console.hpp"
#include "common/os_info.hpp"

namespace es {

bool should_pause(PauseOnExit setting, bool exit_nonzero, bool stdin_is_terminal,
                  bool console_is_own) {
  if (!exit_nonzero || !stdin_is_terminal) return false;
  switch (setting) {
    case PauseOnExit::kAlways: return true;
    case PauseOnExit::kNever: return false;
    case PauseOnExit::kAuto: return console_is_own;
  }
  return false;
}

namespace {

std::string banner(ExitCode code) {
  return "\n==== engine-supervisor stopped with exit code " + std::to_string(to_int(code)) +
         " ====\n";
}

void wait_for_enter(const std::string& summary) {
  console_write(ConsoleStream::kErr, summary + "Press Enter to close this window.\n");
  console_flush(std::chrono::seconds(5));
  std::string ignored;
  std::getline(std::cin, ignored);
}

}  // namespace

std::string pause_summary(const Config& config, const SessionEnd& end) {
  std::string text = banner(end.exit_code);
  text += "  outcome:     " + (end.outcome.empty() ? std::string("unknown") : end.outcome) + "\n";
  text += "  why:         " + end.halt_reason + "\n";
  text += "  database:    " + config.database.path.string() + "\n";
  const BackupStore store(config.database.path, config.database.backup_dir);
  if (const auto good = store.newest_verified(CheckMode::kQuick)) {
    text += "  good backup: " + good->file.path.string() + "\n";
  } else {
    text += "  good backup: none found in " + config.database.backup_dir.string() + "\n";
  }
  text += "  log:         " + (end.log_file.empty() ? config.logging_dir.string() : end.log_file) +
          "\n";
  return text;
}

void pause_if_wanted(const Config& config, const SessionEnd& end) {
  if (!should_pause(config.pause_on_exit, end.exit_code != ExitCode::kSuccess,
                    stream_is_terminal(0), console_is_own())) {
    return;
  }
  wait_for_enter(pause_summary(config, end));
}

void pause_if_wanted_after_viewer(const Config& config, ExitCode code) {
  const std::string above = "see the run's last lines above";
  pause_if_wanted(config, SessionEnd{code, above, above, ""});
}

void pause_if_wanted_before_config(ExitCode code) {
  if (!should_pause(PauseOnExit::kAuto, code != ExitCode::kSuccess, stream_is_terminal(0),
                    console_is_own())) {
    return;
  }
  wait_for_enter(banner(code) + "  why:         the error above; no session was started\n");
}

}  // namespace es
