#include "supervisor/stoppable_step.hpp"

#include <spdlog/spdlog.h>

#include "supervisor/event_loop.hpp"

namespace es {

bool run_stoppable_step(const std::string& what,
                        const std::function<void(std::stop_token)>& step) {
  std::stop_source stop;
  EventLoop loop;
  loop.on_stop_signal([&stop, &what](StopSignal) {
    // Only the first is said; the step is already on its way out.
    if (stop.request_stop()) {
      spdlog::warn("stop requested: abandoning {} and removing its temporary files", what);
    }
  });
  loop.run_beside([&] { step(stop.get_token()); });
  // A console-close handler (Windows) holds the process until the cleanup
  // above is done: it is.
  release_console_close_wait();
  return stop.stop_requested();
}

}  // namespace es
