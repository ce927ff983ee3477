#pragma once
// A short-lived helper command the supervisor runs to completion: a
// notifier (notify.command), restic (offsite copies). Started as the engine
// is (argv, no shell; its own process group, a Job Object on Windows), with
// a time limit, after which it is killed with everything it started, and
// abandoned the same way when `stop` is requested. Its output lines go to
// `on_line` as they come; its pipes are always drained.
// Blocking, on the calling thread's own event loop; any thread may call it.

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

namespace es {

struct ChildCommand {
  std::vector<std::string> argv;
  std::map<std::string, std::string> extra_env;
  std::filesystem::path stdin_file = {};  // empty: nothing on stdin
  std::filesystem::path working_dir = {};  // empty: the supervisor's
  std::chrono::seconds timeout{30};
  std::string name;  // names its process group and cgroup: "<run_id>-notify-unclean"
  std::function<void(std::string_view line)> on_line;
};

struct ChildResult {
  std::optional<int> exit_code;
  std::optional<std::string> signal;
  bool timed_out = false;
  bool stopped = false;  // `stop` was requested, and it was killed
  double seconds = 0;
  std::string error;  // it could not be started, and why
  bool ok() const { return error.empty() && !timed_out && !stopped && exit_code == 0; }
  // One line for a failed one: why it failed ("it exited with code 1").
  std::string cause() const;
};

ChildResult run_child(const ChildCommand& command, std::stop_token stop = {});

}  // namespace es
