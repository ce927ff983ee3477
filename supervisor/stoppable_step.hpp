#pragma once
// The long step of a one-shot command (the copy of `backup`, of `snapshot`),
// stoppable by the operator without leaving files behind.
//
// By default SIGINT (Ctrl+C), SIGTERM and SIGHUP end the process at once,
// mid-copy: its temporary, and the temporary's -journal, stay on disk (a
// 169 MB one in issue 11, item 14). Here the step runs on a thread of its
// own while this thread turns those signals (on Windows the console's
// Ctrl+C, Ctrl+Break and close events) into a request through the step's
// stop token: the step abandons its copy, and its owners remove the
// temporary and the -journal its SQLite connection made, before the command
// ends. The same routing as `run`'s steps (EventLoop::on_stop_signal).
// Blocking; call from the main thread, one step at a time.

#include <functional>
#include <stop_token>
#include <string>

namespace es {

// Runs `step` with a token that a stop signal requests; the first signal is
// said once on the console, naming `what` ("the backup of /x/live.db").
// Returns true if a stop was requested while it ran.
bool run_stoppable_step(const std::string& what,
                        const std::function<void(std::stop_token)>& step);

}  // namespace es
