#pragma once
// Adapter: turns this OS's stop signals into StopSignal events on an Asio
// loop. POSIX: SIGINT, SIGTERM, SIGHUP through asio::signal_set (the handler
// only posts). Windows: the console control handler.
// The returned object keeps the routing alive; drop it to stop.

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <functional>
#include <optional>
#include <memory>

#include "supervisor/event_loop.hpp"

namespace es {

std::shared_ptr<void> watch_stop_signals(boost::asio::io_context& io,
                                         std::function<void(StopSignal)> handler);

// console_close_deadline() and release_console_close_wait(), declared in
// event_loop.hpp, are defined beside watch_stop_signals in each platform file.

}  // namespace es
