#include "supervisor/child_command.hpp"

#include "supervisor/engine_process.hpp"
#include "supervisor/event_loop.hpp"

namespace es {

namespace {
constexpr int kTimeoutTimer = 1;
}  // namespace

std::string ChildResult::cause() const {
  if (!error.empty()) return error;
  if (stopped) return "it was stopped: the run is ending";
  if (timed_out) return "it did not finish in time and was killed";
  if (signal) return "it was killed by " + *signal;
  return "it exited with code " + std::to_string(exit_code.value_or(-1));
}

ChildResult run_child(const ChildCommand& command, std::stop_token stop) {
  ChildResult result;
  const auto started = std::chrono::steady_clock::now();
  EngineSpec spec;
  spec.argv = command.argv;
  spec.working_dir =
      command.working_dir.empty() ? std::filesystem::current_path() : command.working_dir;
  spec.extra_env = command.extra_env;
  spec.run_id = command.name;
  spec.stop_signal = "SIGTERM";
  spec.stop_grace = std::chrono::seconds(1);
  spec.stdin_file = command.stdin_file;
  spec.helper = true;
  EventLoop loop;
  bool ended = false;
  auto process = EngineProcess::spawn(
      loop, spec,
      [&](OutputStream, std::span<const std::string_view> lines) {
        if (!command.on_line) return;
        for (const auto line : lines) command.on_line(line);
      },
      [&](const EngineExit& exit) {
        result.exit_code = exit.exit_code;
        if (exit.signal) result.signal = exit.signal_name();
        ended = true;
        loop.stop();
      });
  if (!process) {
    result.error = process.error().message;
    return result;
  }
  loop.arm_timer(kTimeoutTimer, command.timeout, [&] {
    result.timed_out = true;
    (*process)->kill_tree();
  });
  // A stop from another thread reaches the loop through post().
  std::stop_callback on_stop(stop, [&] {
    loop.post([&] {
      if (ended) return;
      result.stopped = true;
      (*process)->kill_tree();
    });
  });
  if (!ended) loop.run();
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return result;
}

}  // namespace es
