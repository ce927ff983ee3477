#include <boost/asio/signal_set.hpp>
#include <csignal>

#include "supervisor/platform/stop_signals.hpp"

namespace es {
namespace asio = boost::asio;

namespace {

class SignalRouter : public std::enable_shared_from_this<SignalRouter> {
 public:
  SignalRouter(asio::io_context& io, std::function<void(StopSignal)> handler)
      : signals_(io, SIGINT, SIGTERM, SIGHUP), handler_(std::move(handler)) {}

  void wait() {
    signals_.async_wait([weak = weak_from_this()](const boost::system::error_code& error,
                                                  int number) {
      auto self = weak.lock();
      if (error || !self) return;
      self->handler_(number == SIGINT    ? StopSignal::kInterrupt
                     : number == SIGHUP ? StopSignal::kHangup
                                        : StopSignal::kTerminate);
      self->wait();
    });
  }

 private:
  asio::signal_set signals_;
  std::function<void(StopSignal)> handler_;
};

}  // namespace

std::shared_ptr<void> watch_stop_signals(asio::io_context& io,
                                         std::function<void(StopSignal)> handler) {
  auto router = std::make_shared<SignalRouter>(io, std::move(handler));
  router->wait();
  return router;
}

std::optional<std::chrono::milliseconds> console_close_deadline() { return std::nullopt; }

void release_console_close_wait() {}

}  // namespace es
