#include "supervisor/viewer_channel.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <deque>
#include <mutex>
#include <thread>

#include "supervisor/platform/run_detach.hpp"

namespace es {
namespace asio = boost::asio;

char channel_byte(StopSignal signal) {
  switch (signal) {
    case StopSignal::kInterrupt: return 'i';
    case StopSignal::kTerminate: return 't';
    case StopSignal::kHangup:
    case StopSignal::kConsoleClose:
    case StopSignal::kViewerClosed: return 'c';
  }
  return 'c';
}

std::optional<StopSignal> channel_signal(char byte) {
  switch (byte) {
    case 'i': return StopSignal::kInterrupt;
    case 't': return StopSignal::kTerminate;
    case 'c': return StopSignal::kViewerClosed;
    default: return std::nullopt;
  }
}

namespace {

// Where the reader thread delivers: the current session's loop, or a queue
// until there is one. One per process, like stdin.
struct ChannelRouter {
  std::mutex mutex;
  bool adopted = false;
  asio::io_context* io = nullptr;
  std::function<void(StopSignal)> handler;
  std::deque<StopSignal> pending;

  void deliver(StopSignal signal) {
    std::lock_guard lock(mutex);
    if (!io) {
      pending.push_back(signal);
      return;
    }
    asio::post(*io, [handler = handler, signal] { handler(signal); });
  }
};

ChannelRouter& router() {
  // Leaked on purpose: the reader thread may still be blocked in a read
  // while static destructors run at exit.
  static auto* instance = new ChannelRouter();
  return *instance;
}

void read_channel() {
  char buffer[64];
  for (;;) {
    const auto count = read_viewer_channel(buffer, sizeof buffer);
    if (count == 0) break;
    for (std::size_t i = 0; i < count; ++i) {
      if (const auto signal = channel_signal(buffer[i])) router().deliver(*signal);
    }
  }
  router().deliver(StopSignal::kViewerClosed);
}

}  // namespace

void adopt_viewer_channel() {
  {
    std::lock_guard lock(router().mutex);
    if (router().adopted) return;
    router().adopted = true;
  }
  std::thread(read_channel).detach();
}

std::shared_ptr<void> watch_viewer_channel(asio::io_context& io,
                                           std::function<void(StopSignal)> handler) {
  auto& routed = router();
  std::lock_guard lock(routed.mutex);
  if (!routed.adopted) return nullptr;
  routed.io = &io;
  routed.handler = std::move(handler);
  for (const auto signal : routed.pending) {
    asio::post(io, [handler = routed.handler, signal] { handler(signal); });
  }
  routed.pending.clear();
  return std::shared_ptr<void>(&io, [](void* watched) {
    auto& current = router();
    std::lock_guard unlock(current.mutex);
    if (current.io != watched) return;
    current.io = nullptr;
    current.handler = nullptr;
  });
}

}  // namespace es
