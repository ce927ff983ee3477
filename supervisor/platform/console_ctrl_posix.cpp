#include <iostream>

#include "supervisor/platform/console_ctrl.hpp"

namespace es {

int send_console_ctrl(long, ConsoleCtrl) {
  std::cerr << "console-ctrl: Windows only; on POSIX the engine's process group gets a signal\n";
  return 64;
}

}  // namespace es
