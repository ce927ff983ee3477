#pragma once
// The private channel from a viewer to the detached run it shows (issue 15:
// the console window is a view; the supervised run outlives it).
//
// The detached run's stdin is the channel. The viewer writes one byte per
// stop request and nothing else, and its end closes when it exits or is
// killed with its window:
//   'i'  Ctrl+C in the window                    -> StopSignal::kInterrupt
//   't'  Ctrl+Break in the window, or SIGTERM    -> StopSignal::kTerminate
//   'c'  the window is closing (a goodbye)       -> StopSignal::kViewerClosed
//   end of file: the viewer is gone              -> StopSignal::kViewerClosed
// The run reads it on a thread of its own and posts each request to the
// session's event loop like a stop signal: the same watch machine, the same
// stop plan. A closed window is `console_closed` with the full
// stop_grace_seconds, since nothing ends this process after it.
//
// Threading: adopt_viewer_channel() once, on the main thread, before the
// session starts; its reader thread lives until the channel ends.

#include <functional>
#include <memory>
#include <optional>

#include "supervisor/event_loop.hpp"

namespace es {

// The byte the viewer sends for a stop signal it received.
char channel_byte(StopSignal signal);
// The stop signal a byte stands for; nullopt for a byte that is not one.
std::optional<StopSignal> channel_signal(char byte);

// This process is a detached run: its stdin is its viewer's channel. Starts
// reading it; requests that come before the session's loop exists are held
// for it, the channel's end included.
void adopt_viewer_channel();

// The event source EventLoop::on_stop_signal adds: routes the channel's
// requests to `handler` on `io` until the returned object is dropped.
// nullptr when this process adopted no channel.
std::shared_ptr<void> watch_viewer_channel(boost::asio::io_context& io,
                                           std::function<void(StopSignal)> handler);

}  // namespace es
