#include "supervisor/viewer.hpp"

#include <spdlog/spdlog.h>

#include <condition_variable>
#include <mutex>
#include <thread>

#include "common/console.hpp"
#include "supervisor/event_loop.hpp"
#include "supervisor/platform/run_detach.hpp"
#include "supervisor/viewer_channel.hpp"

namespace es {

bool wants_viewer(ConsoleMode mode) {
  switch (mode) {
    case ConsoleMode::kViewer: return true;
    case ConsoleMode::kNone: return false;
    case ConsoleMode::kAuto: return viewer_by_default();
  }
  return false;
}

namespace {

// How long the viewer waits, after the run exited, for the rest of its
// output; only a grandchild that kept the run's pipe open makes it wait.
constexpr auto kOutputDrain = std::chrono::seconds(2);

// The two copying threads report here. Shared with them: they may outlive
// show_detached_run when something else keeps the run's pipes open.
struct Copies {
  std::mutex mutex;
  std::condition_variable finished;
  int running = 2;
};

// Copies one of the run's streams to ours, whole lines at a time (a line
// split between reads is never shown in two pieces, nor a UTF-8 character),
// through the console queue, which never blocks: a slow window drops lines,
// and the run's session log has every one of them.
void copy_stream(std::shared_ptr<DetachedRun> run, std::shared_ptr<Copies> copies,
                 ConsoleStream stream) {
  std::string pending;
  std::vector<char> buffer(64 * 1024);
  for (;;) {
    const auto count = run->read_output(stream, buffer.data(), buffer.size());
    if (count == 0) break;
    pending.append(buffer.data(), count);
    const auto last = pending.find_last_of('\n');
    if (last == std::string::npos) continue;
    console_write(stream, pending.substr(0, last + 1));
    pending.erase(0, last + 1);
  }
  if (!pending.empty()) console_write(stream, pending + "\n");
  std::lock_guard lock(copies->mutex);
  --copies->running;
  copies->finished.notify_all();
}

}  // namespace

Result<ViewerEnd> show_detached_run(const std::vector<std::string>& run_arguments) {
  auto started = DetachedRun::start(run_arguments);
  if (!started) return started.error();
  std::shared_ptr<DetachedRun> run = std::move(*started);
  auto copies = std::make_shared<Copies>();
  for (const auto stream : {ConsoleStream::kOut, ConsoleStream::kErr}) {
    std::thread(copy_stream, run, copies, stream).detach();
  }
  spdlog::info("the run is process {}, outside this window: Ctrl+C here stops it; closing this "
               "window stops the engine gracefully too, and the run still finishes its steps "
               "and writes its summary",
               run->pid());

  ViewerEnd end;
  EventLoop loop;
  loop.on_stop_signal([&](StopSignal signal) {
    const bool closing = signal == StopSignal::kHangup || signal == StopSignal::kConsoleClose;
    if (!run->send(channel_byte(signal)) && !closing) {
      spdlog::warn("the run did not take the stop request: it is ending already");
    }
    if (closing) {
      end.window_closed = true;
      // Windows ends this process once the console handler returns; the
      // goodbye is sent, so let it.
      release_console_close_wait();
    }
  });
  int code = 0;
  loop.run_beside([&] { code = run->wait(); });
  {
    std::unique_lock lock(copies->mutex);
    copies->finished.wait_for(lock, kOutputDrain, [&] { return copies->running == 0; });
  }
  end.exit_code = static_cast<ExitCode>(code);
  return end;
}

}  // namespace es
