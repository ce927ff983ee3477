#include "supervisor/engine_watch.hpp"

#include <spdlog/spdlog.h>

#include <iterator>
#include <optional>

#include "common/console.hpp"
#include "common/logging.hpp"
#include "common/terminal_text.hpp"
#include "supervisor/event_loop.hpp"

namespace es {

namespace {
constexpr int kStopTimer = 1;
constexpr int kHeartbeatTimer = 2;
constexpr int kTreeTimer = 3;
constexpr int kBackupTimer = 4;
// When to look at the engine's tree after its start, besides the heartbeats.
constexpr std::chrono::milliseconds kTreeLooks[] = {std::chrono::seconds(1),
                                                    std::chrono::seconds(9)};

watch::StopRequested to_request(StopSignal signal) {
  switch (signal) {
    case StopSignal::kInterrupt:
      return {watch::StopCause::kStopRequested, true, "SIGINT / Ctrl+C"};
    case StopSignal::kTerminate:
      return {watch::StopCause::kStopRequested, false, "SIGTERM"};
    case StopSignal::kHangup:
      return {watch::StopCause::kConsoleClosed, false, "SIGHUP: the terminal was closed"};
    case StopSignal::kConsoleClose:
      return {watch::StopCause::kConsoleClosed, false, "the console was closed"};
    case StopSignal::kViewerClosed:
      return {watch::StopCause::kConsoleClosed, false,
              "the console window was closed; the run is not in it and goes on"};
  }
  return {watch::StopCause::kStopRequested, false, "stop"};
}
}  // namespace

struct EngineWatch::Impl {
  WatchSettings settings;
  watch::StopPlan plan;
  EventLoop loop;
  std::unique_ptr<EngineProcess> engine;
  watch::State state;
  EngineExit exit;
  bool stop_recorded = false;
  // Requested by a stop signal while no engine runs; the token of run_step's
  // work. Before start() it also means: do not start the engine.
  std::stop_source step_stop;
  std::string echo_;  // reused: the console text of one read
  // The log keeps the engine's escape codes; the console only where a
  // terminal acts on them (terminal_text.hpp).
  const bool stdout_takes_escapes = console_understands_escapes(1);
  const bool stderr_takes_escapes = console_understands_escapes(2);
  std::optional<EngineTreeRecord> tree_seen;  // as last handed to on_engine_tree

  // Every line goes to the session log and, prefixed, to the console: one
  // log write and one console write for all the lines of a read.
  void echo(OutputStream stream, std::span<const std::string_view> lines) {
    const bool out = stream == OutputStream::kStdout;
    log_engine_lines(out ? "stdout" : "stderr", lines);
    if (settings.on_lines) settings.on_lines(lines);
    const std::string_view prefix = out ? "[engine] " : "[engine stderr] ";
    const bool raw = out ? stdout_takes_escapes : stderr_takes_escapes;
    echo_.clear();
    for (const auto line : lines) {
      echo_.append(prefix);
      if (raw) {
        echo_.append(line);
      } else {
        append_without_escapes(echo_, line);
      }
      echo_.push_back('\n');
    }
    console_write(out ? ConsoleStream::kOut : ConsoleStream::kErr, echo_);
  }

  void handle(const watch::Event& event) {
    auto transition = watch::next(state, event, plan, settings.stop_signal);
    state = transition.state;
    for (const auto& action : transition.actions) perform(action);
  }

  void perform(const watch::Action& action) {
    if (std::holds_alternative<watch::SendStop>(action)) {
      engine->request_stop(settings.stop_signal);
    } else if (std::holds_alternative<watch::KillTree>(action)) {
      engine->kill_tree();
    } else if (const auto* arm = std::get_if<watch::ArmTimer>(&action)) {
      const auto step = arm->step;
      loop.arm_timer(kStopTimer, arm->after, [this, step] { handle(watch::StepExpired{step}); });
    } else if (std::holds_alternative<watch::CancelTimer>(action)) {
      loop.cancel_timer(kStopTimer);
    } else if (const auto* log = std::get_if<watch::Log>(&action)) {
      switch (log->level) {
        case watch::Log::Level::kInfo: spdlog::info("{}", log->message); break;
        case watch::Log::Level::kWarn: spdlog::warn("{}", log->message); break;
        case watch::Log::Level::kError: spdlog::error("{}", log->message); break;
      }
    }
  }

  void on_signal(StopSignal signal) {
    const auto request = to_request(signal);
    if (!engine || state.phase == watch::Phase::kExited) {
      // No engine to stop: the step under way only reads the DB and is cut
      // short. Before the start, the lifecycle asks, and then does not start
      // the engine.
      if (!step_stop.stop_requested()) {
        if (!engine) {
          spdlog::warn("stop requested ({}) before the engine started: a running integrity "
                       "check or backup is abandoned, any other step finished, and the engine "
                       "is not started",
                       request.source);
        } else {
          spdlog::warn("stop requested ({}) after the engine exited: the post-session check "
                       "and backup are abandoned; the summary says so",
                       request.source);
        }
      }
      step_stop.request_stop();
      return;
    }
    // The OS will end us soon after a console close: stop within its limit.
    // (Not after a viewer's window closed: this detached run outlives it.)
    if (state.phase == watch::Phase::kRunning && signal == StopSignal::kConsoleClose) {
      if (const auto deadline = console_close_deadline()) {
        plan = watch::make_stop_plan(std::chrono::duration_cast<std::chrono::seconds>(*deadline));
        plan.front().wait = *deadline;
      }
    }
    if (!stop_recorded && state.phase == watch::Phase::kRunning && settings.on_stop_requested) {
      stop_recorded = true;
      settings.on_stop_requested(request.cause == watch::StopCause::kConsoleClosed
                                     ? "console_closed"
                                     : "stop_requested");
    }
    handle(request);
  }

  void arm_heartbeat() {
    loop.arm_timer(kHeartbeatTimer, settings.heartbeat_every, [this] {
      look_at_tree();
      if (settings.on_heartbeat) settings.on_heartbeat();
      arm_heartbeat();
    });
  }

  void arm_backup() {
    if (settings.backup_every.count() <= 0 || !settings.on_backup_due) return;
    loop.arm_timer(kBackupTimer, settings.backup_every, [this] {
      settings.on_backup_due();
      arm_backup();
    });
  }

  void look_at_tree() {
    if (!engine || !settings.on_engine_tree) return;
    auto tree = engine->tree();
    if (tree_seen && tree.same_record(*tree_seen)) return;
    tree_seen = tree;
    settings.on_engine_tree(tree);
  }

  void arm_tree_look(std::size_t index) {
    if (index >= std::size(kTreeLooks)) return;
    loop.arm_timer(kTreeTimer, kTreeLooks[index], [this, index] {
      look_at_tree();
      arm_tree_look(index + 1);
    });
  }
};

EngineWatch::EngineWatch(WatchSettings settings) : impl_(std::make_unique<Impl>()) {
  impl_->settings = std::move(settings);
  impl_->plan = watch::make_stop_plan(impl_->settings.grace);
  auto* impl = impl_.get();
  impl->loop.on_stop_signal([impl](StopSignal signal) { impl->on_signal(signal); });
}

bool EngineWatch::stop_requested_before_start() {
  impl_->loop.poll();
  return impl_->step_stop.stop_requested();
}

void EngineWatch::run_step(const std::function<void(std::stop_token)>& work) {
  impl_->loop.run_beside([&] { work(impl_->step_stop.get_token()); });
}

EngineWatch::~EngineWatch() = default;

Result<long> EngineWatch::start(const EngineSpec& spec) {
  auto* impl = impl_.get();
  auto engine = EngineProcess::spawn(
      impl->loop, spec,
      [impl](OutputStream stream, std::span<const std::string_view> lines) {
        impl->echo(stream, lines);
      },
      [impl](const EngineExit& exit) {
        impl->exit = exit;
        impl->handle(watch::EngineExited{});
        impl->loop.stop();
      });
  if (!engine) return engine.error();
  impl->engine = std::move(*engine);
  impl->look_at_tree();
  impl->arm_tree_look(0);
  return impl->engine->pid();
}

WatchOutcome EngineWatch::run() {
  impl_->arm_heartbeat();
  impl_->arm_backup();
  impl_->loop.run();
  impl_->loop.cancel_timer(kHeartbeatTimer);
  impl_->loop.cancel_timer(kBackupTimer);
  impl_->loop.cancel_timer(kTreeTimer);
  return {impl_->exit, impl_->state};
}

}  // namespace es
