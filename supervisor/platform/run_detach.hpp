#pragma once
// Adapter: the OS half of splitting `run` into a viewer, which stays in the
// console window, and a detached run, which does not (issue 15; viewer.hpp
// has the portable half, viewer_channel.hpp the protocol).
//  - Windows: the run is created with CREATE_NO_WINDOW (a hidden console of
//    its own, so the window's CTRL_CLOSE and the 5 s kill that follows never
//    reach it) and CREATE_BREAKAWAY_FROM_JOB where the window's job allows
//    it. Pipes carry its output to the viewer and the viewer's requests to
//    its stdin; only those three handles are inherited.
//  - POSIX: the run is spawned in a session of its own (setsid): no
//    controlling terminal, so no SIGHUP when the terminal closes. The same
//    three pipes.
// Neither Boost.Asio nor Boost.Process appears here.
//
// Threading: DetachedRun's calls may come from different threads (one
// reader per output stream, a waiter, the loop sending); each is safe alone.

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "common/console.hpp"
#include "common/result.hpp"

namespace es {

// Viewer side ---------------------------------------------------------------

// Whether ui.console: auto starts a viewer here. Windows: this process has a
// console window, and its output goes to that window (a scheduled task or a
// service has none; output redirected to a file is no window). POSIX: never:
// a closed terminal is a SIGHUP, which the run survives in place, with the
// engine in its own process group (docs/operations.md).
bool viewer_by_default();

class DetachedRun {
 public:
  // Starts this executable with `arguments` (without argv[0]) as a detached
  // run. Fails with kIoError naming the OS error; then nothing was started.
  [[nodiscard]] static Result<std::unique_ptr<DetachedRun>> start(
      const std::vector<std::string>& arguments);
  virtual ~DetachedRun() = default;

  virtual long pid() const = 0;

  // Blocking read of the run's stdout or stderr. Returns the bytes read;
  // 0 once the run closed it (it exited) or on an error.
  virtual std::size_t read_output(ConsoleStream stream, char* buffer, std::size_t size) = 0;

  // Writes one byte to the run's channel. False if the run is gone. Never
  // blocks for long: the run reads its channel all the time.
  virtual bool send(char byte) = 0;

  // Blocks until the run has exited; its exit code (128 + N for a run
  // killed by signal N on POSIX).
  virtual int wait() = 0;
};

// Run side ------------------------------------------------------------------

// Readies this process to be a detached run. POSIX: SIGPIPE ignored, so a
// write to the pipe of a viewer that is gone fails instead of killing the
// run (the session log has every line). Windows: nothing to do.
void prepare_detached_run();

// Blocking read of this detached run's channel (its stdin). Returns the
// bytes read; 0 at its end or on an error.
std::size_t read_viewer_channel(char* buffer, std::size_t size);

}  // namespace es
