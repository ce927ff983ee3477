#pragma once
// The viewer: what stays in the console window when `run` is split in two
// (issue 15: the window is a view; the supervised run outlives it).
//
//   console window                      detached run (no window)
//   +-----------------------+  stdout   +--------------------------------+
//   | viewer                | <-------- | run_session: lock, gate, ...,  |
//   |  shows every line     |  stderr   |  engine on a hidden console,   |
//   |  Ctrl+C  -> 'i'       | --------> |  post-session, summary         |
//   |  closed  -> 'c' / EOF |  channel  |  EOF = console_closed          |
//   +-----------------------+  (stdin)  +--------------------------------+
//
// The viewer starts the run, copies its output to the window as it comes,
// and forwards stop requests over the channel (viewer_channel.hpp). When
// the window closes the viewer says goodbye where the OS lets it, or simply
// dies; either way the channel ends, and the run stops the engine gracefully
// with the full stop_grace_seconds, runs its post-session steps and writes
// its summary, with no time limit. The viewer never stops or kills anything
// itself.
//
// Threading: show_detached_run blocks; it reads the run's output on two
// threads of its own and handles stop signals on the calling thread.

#include <string>
#include <vector>

#include "common/config.hpp"
#include "common/exit_code.hpp"
#include "common/result.hpp"

namespace es {

// Whether `run` splits into a viewer and a detached run: ui.console viewer,
// or auto where a closed window would end the run (run_detach.hpp).
bool wants_viewer(ConsoleMode mode);

struct ViewerEnd {
  ExitCode exit_code = ExitCode::kSuccess;  // the run's
  bool window_closed = false;               // the goodbye was sent; nobody looks
};

// Starts this executable with `run_arguments` as the detached run and shows
// it until it exits. Returns its exit code. Fails only if the run could not
// be started; nothing was started then, and the caller may run in place.
[[nodiscard]] Result<ViewerEnd> show_detached_run(const std::vector<std::string>& run_arguments);

}  // namespace es
