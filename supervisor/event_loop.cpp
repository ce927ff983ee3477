#include "supervisor/event_loop.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <exception>
#include <map>
#include <thread>

#include "supervisor/platform/stop_signals.hpp"
#include "supervisor/viewer_channel.hpp"

namespace es {
namespace asio = boost::asio;

struct EventLoop::Impl {
  asio::io_context io;
  std::map<int, std::unique_ptr<asio::steady_timer>> timers;
  std::shared_ptr<void> stop_signals;
  std::shared_ptr<void> viewer_channel;
  // Keeps run() going while nothing is pending (between a timer and a read).
  asio::executor_work_guard<asio::io_context::executor_type> work{io.get_executor()};
};

EventLoop::EventLoop() : impl_(std::make_unique<Impl>()) {}
EventLoop::~EventLoop() = default;

asio::io_context& EventLoop::context() { return impl_->io; }

void EventLoop::on_stop_signal(std::function<void(StopSignal)> handler) {
  impl_->viewer_channel = watch_viewer_channel(impl_->io, handler);
  impl_->stop_signals = watch_stop_signals(impl_->io, std::move(handler));
}

void EventLoop::arm_timer(int id, std::chrono::milliseconds after, std::function<void()> handler) {
  auto& timer = impl_->timers[id];
  if (!timer) timer = std::make_unique<asio::steady_timer>(impl_->io);
  timer->expires_after(after);
  timer->async_wait([handler = std::move(handler)](const boost::system::error_code& error) {
    if (!error) handler();  // operation_aborted: cancelled or re-armed
  });
}

void EventLoop::cancel_timer(int id) {
  if (auto it = impl_->timers.find(id); it != impl_->timers.end()) it->second->cancel();
}

void EventLoop::run() {
  impl_->io.restart();
  impl_->io.run();
}

void EventLoop::run_beside(const std::function<void()>& work) {
  bool done = false;  // only touched on this thread
  std::exception_ptr failure;
  std::thread worker([&] {
    try {
      work();
    } catch (...) {
      failure = std::current_exception();
    }
    asio::post(impl_->io, [this, &done] {
      done = true;
      impl_->io.stop();
    });
  });
  // A handler may stop the loop too; only the worker's end ends this.
  while (!done) run();
  worker.join();
  if (failure) std::rethrow_exception(failure);
}

void EventLoop::poll() {
  impl_->io.restart();
  impl_->io.poll();
}

void EventLoop::stop() { impl_->io.stop(); }

void EventLoop::post(std::function<void()> handler) { asio::post(impl_->io, std::move(handler)); }

}  // namespace es
