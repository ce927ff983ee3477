#include "common/logging.hpp"

#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <mutex>

#include "common/append_file.hpp"
#include "common/console.hpp"
#include "common/fs_ops.hpp"
#include "common/log_file_sinks.hpp"
#include "common/os_info.hpp"

namespace es {
namespace fs = std::filesystem;

namespace {

constexpr std::size_t kRotatingFileBytes = 16u << 20;
constexpr std::size_t kRotatingFiles = 5;

// An spdlog sink that hands lines to the non-blocking console queue; every
// level goes to stderr.
class ConsoleQueueSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  ConsoleQueueSink() : colour_(stream_is_terminal(1) && stream_is_terminal(2)) {
    set_pattern_("%^%l%$: %v");
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t formatted;
    formatter_->format(msg, formatted);
    std::string text(formatted.data(), formatted.size());
    if (colour_ && msg.color_range_end > msg.color_range_start) {
      text.insert(msg.color_range_end, "\033[0m");
      text.insert(msg.color_range_start, colour_for(msg.level));
    }
    // Diagnostics all go to stderr; stdout carries only a command's result
    // (a file name, JSON), so scripts can read it.
    console_write(ConsoleStream::kErr, std::move(text));
  }
  void flush_() override {}

 private:
  static const char* colour_for(spdlog::level::level_enum level) {
    switch (level) {
      case spdlog::level::warn: return "\033[33m\033[1m";
      case spdlog::level::err:
      case spdlog::level::critical: return "\033[31m\033[1m";
      case spdlog::level::info: return "\033[32m";
      default: return "\033[36m";
    }
  }
  bool colour_;
};

std::shared_ptr<SessionLogSink>& session_sink() {
  static std::shared_ptr<SessionLogSink> sink;
  return sink;
}

std::shared_ptr<WriteThroughSink>& rotating_sink() {
  static std::shared_ptr<WriteThroughSink> sink;
  return sink;
}

std::shared_ptr<spdlog::sinks::sink> console_sink() {
  static auto sink = std::make_shared<ConsoleQueueSink>();
  return sink;
}

// Engine lines bypass the console sink (they are echoed with their own
// prefix) but go to every file sink.
std::shared_ptr<spdlog::logger>& files_only_logger() {
  static std::shared_ptr<spdlog::logger> logger;
  return logger;
}

void install(std::vector<spdlog::sink_ptr> file_sinks, spdlog::level::level_enum level) {
  // A session log that is no longer installed must not get engine lines.
  if (std::find(file_sinks.begin(), file_sinks.end(), session_sink()) == file_sinks.end()) {
    session_sink().reset();
  }
  if (std::find(file_sinks.begin(), file_sinks.end(), rotating_sink()) == file_sinks.end()) {
    rotating_sink().reset();
  }
  // The files first, the console last: the file sinks hand each line to the
  // OS inside their log() call (log_file_sinks.hpp), so a line anyone has
  // seen on the console is already in the files. No flush_on: nothing is
  // left to flush.
  std::vector<spdlog::sink_ptr> sinks = file_sinks;
  sinks.push_back(console_sink());
  auto logger = std::make_shared<spdlog::logger>("engine-supervisor", sinks.begin(), sinks.end());
  logger->set_level(level);
  for (auto& sink : file_sinks) sink->set_pattern("%Y-%m-%dT%H:%M:%S.%e%z [%l] %v");
  spdlog::set_default_logger(logger);

  auto engine = std::make_shared<spdlog::logger>("files", file_sinks.begin(), file_sinks.end());
  engine->set_level(spdlog::level::info);
  files_only_logger() = engine;
}

std::vector<spdlog::sink_ptr> current_file_sinks() {
  auto sinks = spdlog::default_logger()->sinks();
  sinks.erase(std::remove(sinks.begin(), sinks.end(), console_sink()), sinks.end());
  return sinks;
}

// The logs hold the engine's whole output: 0700, whatever the umask.
Result<void> make_folder(const fs::path& folder) {
  if (auto made = create_private_folder(folder); !made) {
    return Error{ExitCode::kIoError, "cannot create log folder: " + made.error().message};
  }
  return {};
}

}  // namespace

void start_console_logging() { install({}, spdlog::level::info); }

Result<fs::path> start_file_logging(const fs::path& logging_dir, std::string_view level) {
  const auto parsed = spdlog::level::from_str(std::string(level));
  if (auto made = make_folder(logging_dir); !made) {
    install({}, parsed);
    return made.error();
  }
  const auto file = logging_dir / "engine-supervisor.log";
  // spdlog opens with fopen (0666 less the umask): made 0600 here first.
  std::error_code ec;
  if (!fs::exists(fs::symlink_status(file, ec))) (void)create_private_file(file);
  try {
    rotating_sink() = std::make_shared<WriteThroughSink>(
        std::make_shared<spdlog::sinks::rotating_file_sink_mt>(file.native(), kRotatingFileBytes,
                                                               kRotatingFiles),
        "the log " + file.string());
    install({rotating_sink()}, parsed);
  } catch (const spdlog::spdlog_ex& e) {
    install({}, parsed);
    return Error{ExitCode::kIoError, "cannot open log file " + file.string() + ": " + e.what()};
  }
  return file;
}

Result<fs::path> add_session_log(const fs::path& logging_dir, std::string_view run_id, int max_mb) {
  if (auto made = make_folder(logging_dir); !made) return made.error();
  const auto file = logging_dir / ("session-" + std::string(run_id) + ".log");
  auto opened = AppendFile::open(file);
  if (!opened) {
    return Error{ExitCode::kIoError, "cannot open the session log: " + opened.error().message};
  }
  session_sink() = std::make_shared<SessionLogSink>(std::move(*opened),
                                                    static_cast<std::uint64_t>(max_mb) << 20);
  auto sinks = current_file_sinks();
  sinks.push_back(session_sink());
  install(sinks, spdlog::default_logger()->level());
  return file;
}

nlohmann::json session_log_cap_report() {
  if (auto& sink = session_sink()) return sink->cap_report();
  return nullptr;
}

void log_engine_lines(std::string_view stream_name, std::span<const std::string_view> lines) {
  if (auto& sink = session_sink()) {
    return sink->append_engine_lines(stream_name, lines);
  }
  // No session log: the rotating log is the only record left. A write()
  // per line here (WriteThroughSink), the price of a log that could not be
  // opened.
  if (auto& logger = files_only_logger()) {
    for (const auto line : lines) logger->info("[engine {}] {}", stream_name, line);
  }
}

void log_to_files_only(std::string_view message) {
  while (!message.empty() && message.back() == '\n') message.remove_suffix(1);
  if (auto& logger = files_only_logger()) logger->error("{}", message);
}

std::vector<std::string> log_write_failures() {
  std::vector<std::string> failures;
  for (const auto& report : {rotating_sink() ? rotating_sink()->loss_report() : std::nullopt,
                             session_sink() ? session_sink()->loss_report() : std::nullopt}) {
    if (report) failures.push_back(*report);
  }
  return failures;
}

void flush_logs() {
  spdlog::default_logger()->flush();
  if (auto& logger = files_only_logger()) logger->flush();
}

}  // namespace es
