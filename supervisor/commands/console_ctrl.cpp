// `engine-supervisor console-ctrl PID ctrl_c|ctrl_break`: hidden and
// internal; the supervisor starts it to stop an engine on Windows.

#include "supervisor/commands/commands.hpp"
#include "supervisor/platform/console_ctrl.hpp"

namespace es {

int run_console_ctrl_command(const ConsoleCtrlOptions& options) {
  return send_console_ctrl(options.pid, options.event == "ctrl_break" ? ConsoleCtrl::kCtrlBreak
                                                                      : ConsoleCtrl::kCtrlC);
}

}  // namespace es
