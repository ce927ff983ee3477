#pragma once
// The supervisor's log: spdlog's default logger, writing to the console
// (through the non-blocking console queue, coloured on a terminal) and to
// files in logging.dir.
//
// Every failure is logged at warn or error, never at debug. Thread-safe
// (spdlog's _mt sinks).

#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace es {

// Console only, at info. Used before the config is known and by commands run
// without a config.
void start_console_logging();

// Console plus a rotating file `logging_dir/engine-supervisor.log`. Creates the
// folder. A folder that cannot be made is an Error; the console keeps working.
[[nodiscard]] Result<std::filesystem::path> start_file_logging(
    const std::filesystem::path& logging_dir, std::string_view level);

// Adds a second, non-rotating file that keeps every line of one session,
// engine output included: `logging_dir/session-<run_id>.log`.
[[nodiscard]] Result<std::filesystem::path> add_session_log(const std::filesystem::path& logging_dir,
                                                            std::string_view run_id);

// Writes engine output lines (without '\n') to the session log only,
// each with a time stamp and "[engine <stream_name>]". They stay out of the
// rotating engine-supervisor.log, so that a chatty engine cannot rotate the
// supervisor's own messages away. Without a session log they go to the
// rotating log. The caller echoes them to the console itself.
void log_engine_lines(std::string_view stream_name, std::span<const std::string_view> lines);

// Logs `message` at error level to the log files, not the console (for
// messages the caller has already printed verbatim).
void log_to_files_only(std::string_view message);

void flush_logs();

}  // namespace es
