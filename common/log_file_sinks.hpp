#pragma once
// The supervisor's log files, as spdlog sinks that keep nothing in a
// user-space buffer: every line is handed to the OS inside the sink's own
// log() call, so a line is in the files before the console (the last sink)
// shows it, and a supervisor killed with SIGKILL loses none of what it
// logged. (A power cut may still take the OS's unsynced pages.)
//
// A write that fails (a full disk, an I/O error) never stops the run and is
// never silent: the first failure of each file is printed on the console at
// once, and loss_report() tells the summary how many lines went missing and
// why. Thread-safe (the sinks lock, as spdlog's _mt sinks do).

#include <spdlog/sinks/base_sink.h>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "common/append_file.hpp"

namespace es {

// What failed writes cost one log file. Thread-safe.
class LogWriteLoss {
 public:
  // `what` names the file for people: "the session log /srv/…/session-….log".
  explicit LogWriteLoss(std::string what) : what_(std::move(what)) {}

  // `lines` lines did not reach the file because of `error` (which names the
  // file and the OS error). The first time, warns on the console directly:
  // through spdlog the warning would come back to the failing sink, which
  // holds its lock while it calls this.
  void record(std::uint64_t lines, const std::string& error);

  // "<N> lines could not be written to <what>; the first failure: <error>",
  // or nothing while every write succeeded.
  std::optional<std::string> report() const;

 private:
  mutable std::mutex mutex_;
  const std::string what_;
  std::uint64_t lines_ = 0;
  std::string first_error_;
};

// The session log: spdlog's messages, formatted by the pattern, and the
// engine's lines, written in bulk by append_engine_lines(): one write() per
// read of the engine's pipe, not one per line. A chatty engine prints
// millions of lines a second; formatting each through spdlog cost 30 times
// what `cat` needs to move them (bench/RESULTS.md, benchmark 5).
//
// After failed writes, the next write that succeeds first says, in the file,
// how many lines are missing there and why.
//
// A cap (logging.max_session_log_mb) bounds what one session writes: the
// first half of it stays in the log (the head, with the session's start),
// then the lines go to a rolling tail, `session-<id>.tail.log`, which on
// reaching a quarter of the cap becomes `….tail.old.log` (replacing the one
// before) and starts again. The newest lines are always kept; those between
// the head and the tail are dropped, and each file says so where it happens.
class SessionLogSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  // `cap_bytes` 0: no cap.
  explicit SessionLogSink(AppendFile file, std::uint64_t cap_bytes = 0);

  // Each line is laid out as spdlog would log "[engine <stream>] <line>" at
  // info, by the sink's own pattern, formatted once for all the lines of a
  // read (one time stamp: they came in one read).
  void append_engine_lines(std::string_view stream_name, std::span<const std::string_view> lines);

  std::optional<std::string> loss_report() const { return loss_.report(); }

  // Once the cap was reached: {max_session_log_mb, head_file, tail_files,
  // dropped_bytes}, for the summary's `log_cap`; null before.
  nlohmann::json cap_report();

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override;
  void flush_() override {}  // nothing waits: each line was written as it came

 private:
  // Writes `text` (whole lines), behind a note of any lines missing before
  // it; counts the lines of it that did not reach the file. Called with the
  // sink's lock held.
  void write(std::string_view text);

  // Past the head's half of the cap: on to the tail; a full tail rolls.
  void keep_within_cap(std::size_t next_bytes);
  void open_tail(const std::string& note);
  std::string formatted_note(const std::string& note);

  AppendFile file_;
  LogWriteLoss loss_;
  const std::filesystem::path head_path_;
  const std::uint64_t cap_bytes_;
  std::uint64_t file_bytes_ = 0;     // in the file written now (head or tail)
  bool in_tail_ = false;
  bool rolled_ = false;              // a .tail.old.log exists
  std::uint64_t dropped_bytes_ = 0;  // in tails replaced by a newer one
  std::string text_;            // reused: the engine lines of one read, prefixed
  std::string repair_;          // reused: the note of missing lines, then the text
  std::uint64_t missing_ = 0;   // lines lost since the last write that succeeded
  std::string missing_error_;   // why the last of them was lost
  bool torn_ = false;           // the file ends in part of a line (a short write)
};

// Wraps a file sink of spdlog's (the rotating engine-supervisor.log), which
// writes through a stdio buffer, and flushes it after each line, inside this
// sink's log() call. One write() per line: only the supervisor's own lines
// go this way (and the engine's, when the session log could not be opened).
// spdlog reports a failed write by throwing; the line is counted as lost.
class WriteThroughSink final : public spdlog::sinks::sink {
 public:
  WriteThroughSink(std::shared_ptr<spdlog::sinks::sink> file_sink, std::string what)
      : file_sink_(std::move(file_sink)), loss_(std::move(what)) {}

  void log(const spdlog::details::log_msg& msg) override;
  void flush() override;
  void set_pattern(const std::string& pattern) override { file_sink_->set_pattern(pattern); }
  void set_formatter(std::unique_ptr<spdlog::formatter> formatter) override {
    file_sink_->set_formatter(std::move(formatter));
  }

  std::optional<std::string> loss_report() const { return loss_.report(); }

 private:
  std::shared_ptr<spdlog::sinks::sink> file_sink_;
  LogWriteLoss loss_;
};

}  // namespace es
