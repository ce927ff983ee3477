// Windows stop requests come from the console control handler, which the
// system calls on a thread of its own. It only posts to the loop, except for
// CTRL_CLOSE, CTRL_LOGOFF and CTRL_SHUTDOWN: Windows ends the process about
// 5 s after those whatever the handler returns, so the handler thread then
// waits (at most kCloseWait) while the loop records the stop, stops the
// engine and writes the summary. What cannot finish in that time is
// completed by the next start's recovery step.

#include <boost/asio/post.hpp>
#include <mutex>

#include "common/win32_text.hpp"
#include "supervisor/platform/stop_signals.hpp"

namespace es {
namespace asio = boost::asio;

namespace {

constexpr DWORD kCloseWaitMs = 4500;

struct ConsoleRouter {
  asio::io_context* io = nullptr;
  std::function<void(StopSignal)> handler;
  WinHandle finished{CreateEventW(nullptr, TRUE, FALSE, nullptr)};
};

std::mutex router_mutex;
ConsoleRouter* router = nullptr;

BOOL WINAPI on_console_event(DWORD type) {
  HANDLE finished = nullptr;
  {
    std::lock_guard lock(router_mutex);
    if (!router) return FALSE;
    StopSignal signal = StopSignal::kInterrupt;
    switch (type) {
      case CTRL_C_EVENT: signal = StopSignal::kInterrupt; break;
      case CTRL_BREAK_EVENT: signal = StopSignal::kTerminate; break;
      default: signal = StopSignal::kConsoleClose; break;
    }
    asio::post(*router->io, [handler = router->handler, signal] { handler(signal); });
    if (signal == StopSignal::kConsoleClose) finished = router->finished.get();
  }
  if (finished) WaitForSingleObject(finished, kCloseWaitMs);
  return TRUE;
}

}  // namespace

std::shared_ptr<void> watch_stop_signals(asio::io_context& io,
                                         std::function<void(StopSignal)> handler) {
  auto routed = std::make_shared<ConsoleRouter>();
  routed->io = &io;
  routed->handler = std::move(handler);
  {
    std::lock_guard lock(router_mutex);
    router = routed.get();
  }
  SetConsoleCtrlHandler(on_console_event, TRUE);
  return std::shared_ptr<void>(routed.get(), [routed](void*) {
    std::lock_guard lock(router_mutex);
    if (router == routed.get()) router = nullptr;
  });
}

void release_console_close_wait() {
  std::lock_guard lock(router_mutex);
  if (router) SetEvent(router->finished.get());
}

std::optional<std::chrono::milliseconds> console_close_deadline() {
  return std::chrono::milliseconds(3500);
}

}  // namespace es
