// The body of the hidden `console-ctrl` helper (see console_ctrl.hpp).

#include "common/win32_text.hpp"
#include "supervisor/platform/console_ctrl.hpp"

namespace es {

int send_console_ctrl(long pid, ConsoleCtrl event) {
  // Started with DETACHED_PROCESS, so there is normally no console to leave;
  // a console of our own would make AttachConsole fail.
  FreeConsole();
  if (!AttachConsole(static_cast<DWORD>(pid))) return static_cast<int>(GetLastError());
  // AttachConsole reset our handlers: ignore the CTRL_C we raise ourselves,
  // or it would end this process before it exits with its own code.
  SetConsoleCtrlHandler(nullptr, TRUE);
  // Group 0: every process on the engine's console, which only the engine
  // and what it started share. (Wine implements CTRL_C only.)
  const DWORD type = event == ConsoleCtrl::kCtrlC ? CTRL_C_EVENT : CTRL_BREAK_EVENT;
  if (!GenerateConsoleCtrlEvent(type, 0)) return static_cast<int>(GetLastError());
  FreeConsole();
  return 0;
}

}  // namespace es
