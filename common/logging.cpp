#include "common/logging.hpp"

#include <spdlog/sinks/base_sink.h>
#include <spdlog/details/os.h>
#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>
#include <mutex>

#include "common/console.hpp"
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

// The session log: spdlog's messages, formatted by the pattern, and the
// engine's lines, written in bulk by append_engine_lines(). A chatty engine
// prints millions of lines a second; formatting each one through spdlog cost
// 30 times what `cat` needs to move them (bench/RESULTS.md, benchmark 5).
class SessionFileSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit SessionFileSink(const spdlog::filename_t& file) {
    if (spdlog::details::os::fopen_s(&file_, file, SPDLOG_FILENAME_T("ab"))) {
      throw spdlog::spdlog_ex("cannot open for appending", errno);
    }
    std::setvbuf(file_, nullptr, _IOFBF, 256 * 1024);
  }
  ~SessionFileSink() override { std::fclose(file_); }
  SessionFileSink(const SessionFileSink&) = delete;
  SessionFileSink& operator=(const SessionFileSink&) = delete;

  // Each line is laid out as spdlog would log "[engine <stream>] <line>" at
  // info, by the sink's own pattern, formatted once for all the lines of a
  // read (one time stamp: they came in one read).
  void append_engine_lines(std::string_view stream_name,
                           std::span<const std::string_view> lines) {
    std::lock_guard lock(mutex_);
    const std::string marker = "[engine " + std::string(stream_name) + "] ";
    spdlog::memory_buf_t formatted;
    formatter_->format(spdlog::details::log_msg("files", spdlog::level::info, marker), formatted);
    const std::string_view layout(formatted.data(), formatted.size());
    const auto eol_at = layout.rfind(marker) + marker.size();
    const auto prefix = layout.substr(0, eol_at);
    const auto eol = layout.substr(eol_at);
    text_.clear();
    for (const auto line : lines) text_.append(prefix).append(line).append(eol);
    std::fwrite(text_.data(), 1, text_.size(), file_);
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t formatted;
    formatter_->format(msg, formatted);
    std::fwrite(formatted.data(), 1, formatted.size(), file_);
  }
  void flush_() override { std::fflush(file_); }

 private:
  std::FILE* file_ = nullptr;
  std::string text_;  // reused: the engine lines of one read, prefixed
};

std::shared_ptr<SessionFileSink>& session_sink() {
  static std::shared_ptr<SessionFileSink> sink;
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
  std::vector<spdlog::sink_ptr> sinks{console_sink()};
  sinks.insert(sinks.end(), file_sinks.begin(), file_sinks.end());
  auto logger = std::make_shared<spdlog::logger>("engine-supervisor", sinks.begin(), sinks.end());
  logger->set_level(level);
  logger->flush_on(spdlog::level::warn);
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

Result<void> make_folder(const fs::path& folder) {
  std::error_code ec;
  fs::create_directories(folder, ec);
  if (ec) {
    return Error{ExitCode::kIoError,
                 "cannot create log folder " + folder.string() + ": " + ec.message()};
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
  try {
    auto sink = std::make_shared<spdlog::sinks::rotating_file_sink_mt>(
        file.native(), kRotatingFileBytes, kRotatingFiles);
    install({sink}, parsed);
  } catch (const spdlog::spdlog_ex& e) {
    install({}, parsed);
    return Error{ExitCode::kIoError, "cannot open log file " + file.string() + ": " + e.what()};
  }
  return file;
}

Result<fs::path> add_session_log(const fs::path& logging_dir, std::string_view run_id) {
  if (auto made = make_folder(logging_dir); !made) return made.error();
  const auto file = logging_dir / ("session-" + std::string(run_id) + ".log");
  auto sinks = current_file_sinks();
  try {
    session_sink() = std::make_shared<SessionFileSink>(file.native());
    sinks.push_back(session_sink());
  } catch (const spdlog::spdlog_ex& e) {
    return Error{ExitCode::kIoError, "cannot open session log " + file.string() + ": " + e.what()};
  }
  install(sinks, spdlog::default_logger()->level());
  return file;
}

void log_engine_lines(std::string_view stream_name, std::span<const std::string_view> lines) {
  if (auto& sink = session_sink()) {
    return sink->append_engine_lines(stream_name, lines);
  }
  // No session log: the rotating log is the only record left.
  if (auto& logger = files_only_logger()) {
    for (const auto line : lines) logger->info("[engine {}] {}", stream_name, line);
  }
}

void log_to_files_only(std::string_view message) {
  while (!message.empty() && message.back() == '\n') message.remove_suffix(1);
  if (auto& logger = files_only_logger()) logger->error("{}", message);
}

void flush_logs() {
  spdlog::default_logger()->flush();
  if (auto& logger = files_only_logger()) logger->flush();
}

}  // namespace es
