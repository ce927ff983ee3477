#pragma once
// The engine as a child process: started as the DB's sole writer, its output
// drained line by line, stopped and killed as a whole tree, and reaped. The
// tree is the engine and everything it starts (common/engine_tree.hpp): when
// the engine exits, however it exits, what it left running is stopped too,
// before the exit is reported.
//
// One small interface; the OS code lives in platform/engine_process_posix.cpp
// and platform/engine_process_windows.cpp.
//  - POSIX: its own process group, PR_SET_PDEATHSIG(SIGKILL) so it dies with
//    the supervisor, a clean signal mask, no leaked descriptors, stdin from
//    /dev/null. Linux: the supervisor a child subreaper, the engine in a
//    cgroup of its own where allowed (platform/engine_tree_posix.hpp).
//  - Windows: a hidden console of its own (never the operator's window), and
//    a Job Object with KILL_ON_JOB_CLOSE.
//
// Threading: everything runs on the EventLoop's thread; handlers are called
// there. Neither Boost.Asio nor Boost.Process appears in this header.

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/engine_tree.hpp"
#include "common/result.hpp"
#include "supervisor/event_loop.hpp"

namespace es {

struct EngineSpec {
  std::vector<std::string> argv;  // argv[0] is a path, or a name looked up on PATH
  std::filesystem::path working_dir;
  std::map<std::string, std::string> extra_env;  // added to the supervisor's environment
  std::string run_id = {};  // names the engine's cgroup (Linux)
  // What the engine leaves running when it exits gets this signal, then
  // SIGKILL after the grace (POSIX). Windows ends its Job Object at once.
  std::string stop_signal = "SIGINT";
  std::chrono::seconds stop_grace{30};
  // What the child reads on stdin; empty for nothing (/dev/null, NUL). A
  // notifier reads the run's summary there (supervisor/notifier.hpp).
  std::filesystem::path stdin_file = {};
  // A helper (child_command.hpp), not the engine: where it runs is not
  // news for the operator's log.
  bool helper = false;
};


// How the engine ended. Exactly one of exit_code and signal is set.
struct EngineExit {
  std::optional<int> exit_code;
  std::optional<int> signal;      // POSIX: the terminating signal, never an "exit code"
  std::string signal_name() const;  // "SIGKILL"
  std::vector<LeftProcess> left_running = {};  // empty when the engine left nothing behind
};

enum class OutputStream { kStdout, kStderr };

class EngineProcess {
 public:
  // `lines`: the complete lines of one read from the pipe, without '\n' or
  // '\r\n'; valid during the call. One call per read, not per line: an engine
  // printing millions of lines a second costs a call per MiB.
  using OutputHandler = std::function<void(OutputStream, std::span<const std::string_view> lines)>;
  using ExitHandler = std::function<void(const EngineExit&)>;

  // Starts the engine. Fails with kEngineNotStarted, naming the program and
  // the OS error, if it cannot be started (missing, not executable, bad
  // working folder). `on_output` gets every complete line of output; `on_exit`
  // runs once, after the process was reaped, what it left running was
  // stopped (or outlived even the kill: LeftProcess), and its pipes were
  // drained. POSIX: from spawn() on, this process reaps every child of its
  // own (waitpid(-1)); nothing else in it may wait for children meanwhile.
  [[nodiscard]] static Result<std::unique_ptr<EngineProcess>> spawn(EventLoop& loop,
                                                                    const EngineSpec& spec,
                                                                    OutputHandler on_output,
                                                                    ExitHandler on_exit);
  virtual ~EngineProcess() = default;

  virtual long pid() const = 0;

  // Asks the engine's process group to stop: `signal_name` (SIGINT, SIGTERM,
  // …) on POSIX. Windows: CTRL_C for SIGINT, else CTRL_BREAK, raised on the
  // engine's own console. Never blocks.
  virtual void request_stop(std::string_view signal_name) = 0;

  // Kills the engine and everything in its tree, at once; after the engine
  // exited, cuts the grace of what it left running short.
  virtual void kill_tree() = 0;

  // The engine's tree as it is now: the engine and its live descendants.
  virtual EngineTreeRecord tree() const = 0;
};

// The signal number for a name from known_stop_signals(); SIGINT if unknown.
int signal_number(std::string_view signal_name);

// True if `exit` is how an engine that does not handle the stop the
// supervisor sends for `signal_name` (a name from known_stop_signals())
// ends. POSIX: it died of that signal. Windows: request_stop raises CTRL_C
// (SIGINT) or CTRL_BREAK (any other name), and a console program without a
// handler for it ends with STATUS_CONTROL_C_EXIT (0xC000013A), the code
// TerminateProcess or TerminateJobObject may also give (kill_tree uses it:
// the caller rules out its own kills).
bool ended_by_stop_signal(const EngineExit& exit, std::string_view signal_name);

}  // namespace es
