#include "common/log_file_sinks.hpp"

#include <spdlog/details/os.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "common/console.hpp"
#include "common/fs_ops.hpp"

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

namespace {

// The most one write() of engine lines carries (plus one line): large enough
// that a chatty engine costs few calls, small beside the smallest cap's tail.
constexpr std::size_t kMaxWriteBytes = 64u << 10;

}  // namespace

SessionLogSink::SessionLogSink(AppendFile file, std::uint64_t cap_bytes)
    : file_(std::move(file)),
      loss_("the session log " + file_.path().string()),
      head_path_(file_.path()),
      cap_bytes_(cap_bytes) {
  std::error_code ec;
  file_bytes_ = std::filesystem::file_size(head_path_, ec);
}

namespace {

std::filesystem::path tail_path(std::filesystem::path head, const char* ending) {
  return head.replace_extension(ending);
}

}  // namespace

std::string SessionLogSink::formatted_note(const std::string& note) {
  spdlog::memory_buf_t formatted;
  formatter_->format(spdlog::details::log_msg("files", spdlog::level::warn, note), formatted);
  return {formatted.data(), formatted.size()};
}

void SessionLogSink::open_tail(const std::string& note) {
  const auto tail = tail_path(head_path_, ".tail.log");
  auto opened = AppendFile::open(tail);
  if (!opened) {
    // The head goes on growing past its share rather than lose the newest lines.
    loss_.record(0, "cannot open the session log's tail: " + opened.error().message);
    return;
  }
  file_ = std::move(*opened);
  in_tail_ = true;
  file_bytes_ = file_.append(formatted_note(note)).bytes;
}

void SessionLogSink::keep_within_cap(std::size_t next_bytes) {
  if (cap_bytes_ == 0 || file_bytes_ + next_bytes <= (in_tail_ ? cap_bytes_ / 4 : cap_bytes_ / 2)) {
    return;
  }
  const auto cap_mb = std::to_string(cap_bytes_ >> 20);
  const auto tail = tail_path(head_path_, ".tail.log");
  const auto old_tail = tail_path(head_path_, ".tail.old.log");
  if (!in_tail_) {
    (void)file_.append(formatted_note(
        "this session's log reached half its cap (logging.max_session_log_mb: " + cap_mb +
        "): the head ends here. The newest lines go on in " + tail.string() + " (and " +
        old_tail.string() + "); the lines between are dropped"));
    return open_tail("the rolling tail of " + head_path_.string() +
                     ", past its cap of " + cap_mb + " MB: the lines before these were dropped "
                     "(the head of the session is in that file)");
  }
  std::error_code ec;
  if (rolled_) dropped_bytes_ += std::filesystem::file_size(old_tail, ec);
  file_.close_now();
  if (auto renamed = rename_replace(tail, old_tail); !renamed) {
    loss_.record(0, renamed.error().message);
  }
  rolled_ = true;
  open_tail("the rolling tail of " + head_path_.string() + " goes on; the lines before these are "
            "in " + old_tail.string());
}

nlohmann::json SessionLogSink::cap_report() {
  std::lock_guard lock(mutex_);
  if (!in_tail_) return nullptr;
  nlohmann::json tails = nlohmann::json::array();
  if (rolled_) tails.push_back(tail_path(head_path_, ".tail.old.log").string());
  tails.push_back(tail_path(head_path_, ".tail.log").string());
  return {{"max_session_log_mb", cap_bytes_ >> 20},
          {"head_file", head_path_.string()},
          {"tail_files", tails},
          {"dropped_bytes", dropped_bytes_}};
}

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
  for (const auto line : lines) {
    text_.append(prefix).append(line).append(eol);
    // In pieces of whole lines: a write never carries a log far past its cap.
    if (text_.size() >= kMaxWriteBytes) {
      write(text_);
      text_.clear();
    }
  }
  if (!text_.empty()) write(text_);
}

void SessionLogSink::sink_it_(const spdlog::details::log_msg& msg) {
  spdlog::memory_buf_t formatted;
  formatter_->format(msg, formatted);
  write(std::string_view(formatted.data(), formatted.size()));
}

void SessionLogSink::write(std::string_view text) {
  keep_within_cap(text.size());
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
  file_bytes_ += appended.bytes;
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
