#pragma once
// Double-click friendliness: when the supervisor's console window is its own
// (a desktop shortcut opened it, and it closes when we exit), a failure
// would flash past unread. Then, on a non-zero exit, print a short summary of
// why and wait for Enter.
//
// ui.pause_on_exit: auto (only when the console is our own), always, never.
// Never waits when stdin is not a terminal, so a scheduled task never hangs.

#include <string>

#include "common/config.hpp"
#include "supervisor/lifecycle.hpp"

namespace es {

// Whether to pause, from the setting and the facts about this process.
bool should_pause(PauseOnExit setting, bool exit_nonzero, bool stdin_is_terminal,
                  bool console_is_own);

// The summary shown before waiting: outcome, halt reason, DB, newest good
// backup, log path.
std::string pause_summary(const Config& config, const SessionEnd& end);

// Prints the summary and waits for Enter if should_pause() says so.
void pause_if_wanted(const Config& config, const SessionEnd& end);

// For a viewer, after its detached run ended with `code`: pauses as
// pause_if_wanted would; the run's outcome and reason are its last lines,
// just above in the window.
void pause_if_wanted_after_viewer(const Config& config, ExitCode code);

// For a failure before there is a config to read ui.pause_on_exit from (a
// config error): pauses as the default, auto, would, so a desktop shortcut's
// window does not close on the error unread.
void pause_if_wanted_before_config(ExitCode code);

}  // namespace es
