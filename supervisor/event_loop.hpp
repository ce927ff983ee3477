#pragma once
// The one event loop of a supervised session, without exposing Boost.Asio:
// the lifecycle sees timers and signals as callbacks; only the adapters
// (event_loop.cpp, the platform files) include Asio.
//
// Single-threaded: run() dispatches every handler on the calling thread;
// run_beside() is the one way work runs elsewhere meanwhile.

#include <chrono>
#include <functional>
#include <memory>
#include <optional>

namespace boost::asio {
class io_context;
}

namespace es {

// What the operator or the OS asked of the supervisor.
enum class StopSignal {
  kInterrupt,     // SIGINT, CTRL_C
  kTerminate,     // SIGTERM, CTRL_BREAK
  kHangup,        // SIGHUP: the terminal closed
  kConsoleClose,  // CTRL_CLOSE, CTRL_LOGOFF, CTRL_SHUTDOWN
  kViewerClosed,  // the viewer's channel closed: its window is gone, this
                  // detached run is not, and has no time limit (viewer_channel.hpp)
};

// After a console close the OS ends this process within seconds (Windows:
// about 5 s after CTRL_CLOSE). How long the engine may take to stop then;
// nullopt where there is no such limit (POSIX SIGHUP).
std::optional<std::chrono::milliseconds> console_close_deadline();

// Tells a waiting console-close handler that the summary is written and the
// process may end. A no-op where nothing waits.
void release_console_close_wait();

class EventLoop {
 public:
  EventLoop();
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;

  boost::asio::io_context& context();

  // Routes the stop signals of this OS to `handler` (on the loop thread)
  // from now until the loop is destroyed, and in a detached run the
  // requests from its viewer's channel too. A signal handler never does the
  // work itself; it only posts.
  void on_stop_signal(std::function<void(StopSignal)> handler);

  // One timer per id; arming an id again replaces its previous deadline.
  void arm_timer(int id, std::chrono::milliseconds after, std::function<void()> handler);
  void cancel_timer(int id);

  // Runs handlers until stop() is called.
  void run();
  // Runs `work` on a thread of its own while this thread runs handlers (a
  // stop signal among them), until `work` returns; rethrows what it threw.
  void run_beside(const std::function<void()>& work);
  // Runs the handlers that are ready now, without waiting.
  void poll();
  void stop();
  // Runs `handler` on the loop's thread; callable from any thread (a stop
  // requested elsewhere reaches the loop this way).
  void post(std::function<void()> handler);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace es
