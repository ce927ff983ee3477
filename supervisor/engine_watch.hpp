#pragma once
// Runs the engine under watch: spawns it on the session's event loop, echoes
// and logs its output, turns stop signals into a graceful stop with a kill
// fallback (watch_machine), keeps the heartbeat, and returns when the engine
// is gone. The driver half of the watch: it performs the machine's actions.
//
// Single-threaded: everything happens on the thread that calls run(), which
// must be the thread that lives as long as the supervisor (PR_SET_PDEATHSIG
// fires when the spawning thread exits). Only run_step's work runs elsewhere,
// and this thread reaches it only through its stop token.

#include <chrono>
#include <functional>
#include <memory>
#include <span>
#include <stop_token>
#include <string>
#include <string_view>

#include "common/result.hpp"
#include "supervisor/engine_process.hpp"
#include "supervisor/watch_machine.hpp"

namespace es {

struct WatchSettings {
  std::string stop_signal = "SIGINT";
  std::chrono::seconds grace{30};
  std::chrono::milliseconds heartbeat_every{std::chrono::minutes(1)};
  std::function<void()> on_heartbeat;
  // Called with the engine's tree (engine_process.hpp) whenever it is found
  // changed: right after the start, 1 s and 10 s later (a wrapper or a
  // server starts its workers then), and before each heartbeat. Never a
  // polling loop: a handful of looks an hour. The lifecycle records it in
  // the lock file, for the next start should this supervisor die.
  std::function<void(const EngineTreeRecord&)> on_engine_tree;
  // Called once, on the first stop request, before the engine is signalled
  // (the lifecycle records it durably).
  std::function<void(const std::string& reason)> on_stop_requested;
  // Called every `backup_every` while the engine runs (0: never), for the
  // in-session backups (in_session_backup.hpp), which copy on a thread of
  // their own: the call returns at once.
  std::chrono::milliseconds backup_every{0};
  std::function<void()> on_backup_due;
  // Sees every line of the engine's output, after it is logged.
  std::function<void(std::span<const std::string_view> lines)> on_lines;
};

struct WatchOutcome {
  EngineExit exit;
  watch::State state;
};

class EngineWatch {
 public:
  // Routes stop signals from now on: one that arrives before the engine is
  // started is held, not acted on (see stop_requested_before_start).
  explicit EngineWatch(WatchSettings settings);
  ~EngineWatch();
  EngineWatch(const EngineWatch&) = delete;

  // True if a stop signal arrived before start(): the caller then does not
  // start the engine. Dispatches pending signals; never blocks.
  bool stop_requested_before_start();

  // Runs `work`, a step while no engine runs (the startup check before
  // start(), the post-session check and backup after run()), on a thread of
  // its own while this one handles stop signals, so one is acted on at once:
  // it requests a stop through `work`'s token. Blocks until `work` returns.
  // A stop before start() also makes stop_requested_before_start() true.
  void run_step(const std::function<void(std::stop_token)>& work);

  // Starts the engine; its pid on success. kEngineNotStarted on failure.
  [[nodiscard]] Result<long> start(const EngineSpec& spec);

  // Blocks until the engine has exited and its output is drained.
  WatchOutcome run();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace es
