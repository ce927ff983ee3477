#pragma once
// Delivering a console stop (CTRL_C or CTRL_BREAK) to an engine that runs on
// a hidden console of its own (Windows).
//
// Why a console of its own: Windows sends the console window's close event
// (CTRL_CLOSE) to every process attached to that console and ends each about
// 5 s later; an engine started on a hidden console never gets it. Why a
// helper process: GenerateConsoleCtrlEvent reaches only processes on the
// caller's console, and CTRL_C cannot be aimed at a process group, so a
// short-lived `engine-supervisor console-ctrl PID EVENT` attaches to the
// engine's console and raises the event there, for every process on it.
// The supervisor itself never leaves its own console.
//
// POSIX has process-group signals and needs none of this: the helper's
// entry point refuses with a usage error there.

namespace es {

enum class ConsoleCtrl { kCtrlC, kCtrlBreak };

// The hidden `console-ctrl` command: attaches to the console of process
// `pid`, ignores the event itself, and raises `event` on that console.
// Returns 0 on success, else the Win32 error of the step that failed (the
// supervisor reports it; this process has no console of its own to print
// on). POSIX: prints that it is Windows-only and returns 64.
int send_console_ctrl(long pid, ConsoleCtrl event);

}  // namespace es
