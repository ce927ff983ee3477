#pragma once
// The supervisor's log: spdlog's default logger, writing to files in
// logging.dir and to the console (through the non-blocking console queue,
// coloured on a terminal).
//
// Every line reaches the OS as it is logged: the files keep nothing in a
// user-space buffer, and get each line before the console does
// (log_file_sinks.hpp). A supervisor killed with SIGKILL leaves all it
// logged in them. A write that fails (a full disk) warns on the console at
// once and is counted for the summary (log_write_failures()).
//
// Every failure is logged at warn or error, never at debug. Thread-safe
// (spdlog's _mt sinks).

#include <nlohmann/json.hpp>

#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

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
// engine output included: `logging_dir/session-<run_id>.log`. Appends to it
// if it exists. Past `max_mb`, a head and a rolling tail (log_file_sinks.hpp).
[[nodiscard]] Result<std::filesystem::path> add_session_log(const std::filesystem::path& logging_dir,
                                                            std::string_view run_id,
                                                            int max_mb = 1024);

// The session log's cap, once reached (SessionLogSink::cap_report); null
// before, and without a session log.
nlohmann::json session_log_cap_report();

// Writes engine output lines (without '\n') to the session log only,
// each with a time stamp and "[engine <stream_name>]", in one write() for
// all of `lines` (the lines of one read of the engine's pipe). They stay out of the
// rotating engine-supervisor.log, so that a chatty engine cannot rotate the
// supervisor's own messages away. Without a session log they go to the
// rotating log. The caller echoes them to the console itself.
void log_engine_lines(std::string_view stream_name, std::span<const std::string_view> lines);

// Logs `message` at error level to the log files, not the console (for
// messages the caller has already printed verbatim).
void log_to_files_only(std::string_view message);

// One sentence per log file that lost lines to failed writes since it was
// opened: how many lines, the file, the first OS error. Empty when every
// line reached the OS. The run puts them in the summary's warnings.
std::vector<std::string> log_write_failures();

void flush_logs();

}  // namespace es
