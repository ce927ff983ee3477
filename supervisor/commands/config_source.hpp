#pragma once
// Turns --config / --db into a Config, the way every command does it, and
// starts logging to match.

#include <string>

#include "common/config.hpp"
#include "supervisor/commands/commands.hpp"

namespace es {

struct LoadedTarget {
  Config config;
  // The arguments that name this same DB in a command an operator can paste:
  // "--config /abs/engine-supervisor.yaml" or "--db /abs/live.db".
  std::string target_argument;
};

// --db wins if given; otherwise --config, then engine-supervisor.yaml in the
// current folder, then beside the executable. The DB path is then resolved
// to its real file (common/db_real_path.hpp), once, for every command.
// Errors are kConfigInvalid.
[[nodiscard]] Result<LoadedTarget> load_target(const TargetOptions& options);

// load_target; on failure also prints the error.
[[nodiscard]] Result<LoadedTarget> load_target_or_report(const TargetOptions& options);

// load_target_or_report, then file logging when a config file is in use. Prints the
// error itself on failure.
[[nodiscard]] Result<LoadedTarget> load_target_and_log(const TargetOptions& options);

// Prints a failure: the message as is on stderr, and at error level in the log.
void report_failure(const Error& error);

}  // namespace es
