#include "common/log_file_sinks.hpp"

#include <spdlog/details/os.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "common/console.hpp"

namespace es {

void LogWriteLoss::record(std::uint64_t lines, const std::string& error) {
  bool first = false;
  {
    std::lock_guard lock(mutex_);
    first = first_error_.empty();
    if (first) first_error_ = error;
    lines_ += lines;
  }
  if (first) {
    console_write(ConsoleStream::kErr, "warning: cannot write to " + what_ + ": " + error +
                                           ". Lines are missing from it until a write "
                                           "succeeds; the run goes on, and its summary counts "
                                           "them\n");
  }
}

std::optional<std::string> LogWriteLoss::report() const {
  std::lock_guard lock(mutex_);
  if (first_error_.empty()) return std::nullopt;
  return std::to_string(lines_) + (lines_ == 1 ? " line" : " lines") +
         " could not be written to " + what_ + "; the first failure: " + first_error_;
}

SessionLogSink::SessionLogSink(AppendFile file)
    : file_(std::move(file)), loss_("the session log " + file_.path().string()) {}

void SessionLogSink::append_engine_lines(std::string_view stream_name,
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
  write(text_);
}

void SessionLogSink::sink_it_(const spdlog::details::log_msg& msg) {
  spdlog::memory_buf_t formatted;
  formatter_->format(msg, formatted);
  write(std::string_view(formatted.data(), formatted.size()));
}

void SessionLogSink::write(std::string_view text) {
  // The usual case, and the engine's hot path: one write() of the text.
  std::string_view out = text;
  if (torn_ || missing_ > 0) {
    // After a failure: end the torn line, then say in the file what is
    // missing at this point, so that a reader of the log sees the gap.
    repair_.clear();
    if (torn_) repair_.append(spdlog::details::os::default_eol);
    if (missing_ > 0) {
      const auto note = std::to_string(missing_) + (missing_ == 1 ? " line is" : " lines are") +
                        " missing here: " + missing_error_;
      spdlog::memory_buf_t formatted;
      formatter_->format(spdlog::details::log_msg("files", spdlog::level::warn, note), formatted);
      repair_.append(formatted.data(), formatted.size());
    }
    repair_.append(text);
    out = repair_;
  }
  const auto appended = file_.append(out);
  if (appended.bytes > 0) torn_ = out[appended.bytes - 1] != '\n';
  const auto before_text = out.size() - text.size();
  if (appended.bytes >= before_text) missing_ = 0;  // the note, if any, is in the file
  if (!appended.error) return;
  // A line is lost unless all of it, its end of line included, is in the file.
  const auto text_written = appended.bytes > before_text ? appended.bytes - before_text : 0;
  const auto lost =
      static_cast<std::uint64_t>(std::count(text.begin() + static_cast<std::ptrdiff_t>(text_written),
                                            text.end(), '\n'));
  missing_ += lost;
  missing_error_ = appended.error->message;
  loss_.record(lost, appended.error->message);
}

void WriteThroughSink::log(const spdlog::details::log_msg& msg) {
  try {
    file_sink_->log(msg);
    file_sink_->flush();
  } catch (const spdlog::spdlog_ex& e) {
    // spdlog says "Failed writing to file <path>: <OS error>" (or "flush").
    loss_.record(1, e.what());
  }
}

void WriteThroughSink::flush() {
  try {
    file_sink_->flush();
  } catch (const spdlog::spdlog_ex& e) {
    loss_.record(0, e.what());
  }
}

}  // namespace es
