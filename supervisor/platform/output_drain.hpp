#pragma once
// Adapter, shared by the POSIX and Windows engine processes: drains the
// engine's stdout and stderr pipes into lines, handed on a read at a time, and reports the engine's end
// once it has exited and both pipes are at end of file. A grandchild that
// keeps a pipe open cannot hold the report back for longer than kDrainLimit.
// `Stream` is the platform's Asio pipe type (posix::stream_descriptor,
// windows::stream_handle). Single-threaded: runs on the loop's thread.

#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <string>
#include <vector>

#include "supervisor/engine_process.hpp"
#include "supervisor/line_splitter.hpp"

namespace es {

template <class Stream>
class OutputDrain {
 public:
  static constexpr auto kDrainLimit = std::chrono::seconds(1);
  static constexpr std::size_t kReadBytes = 1 << 20;

  OutputDrain(boost::asio::io_context& io, EngineProcess::OutputHandler on_output,
              EngineProcess::ExitHandler on_exit)
      : out_(io, OutputStream::kStdout),
        err_(io, OutputStream::kStderr),
        drain_timer_(io),
        on_output_(std::move(on_output)),
        on_exit_(std::move(on_exit)) {}

  Stream& out() { return out_.stream; }
  Stream& err() { return err_.stream; }

  // Starts reading both pipes; call once they are assigned.
  void start() {
    read(out_);
    read(err_);
  }

  // The engine is gone: report once the pipes are drained, or after
  // kDrainLimit at the latest.
  void engine_exited(const EngineExit& exit) {
    exit_ = exit;
    exited_ = true;
    drain_timer_.expires_after(kDrainLimit);
    drain_timer_.async_wait([this](const boost::system::error_code& error) {
      if (error) return;
      out_.stream.close();
      err_.stream.close();
      drained_ = true;
      maybe_finish();
    });
    maybe_finish();
  }

 private:
  struct Pipe {
    Pipe(boost::asio::io_context& io, OutputStream which) : stream(io), kind(which) {}
    Stream stream;
    OutputStream kind;
    std::vector<char> buffer = std::vector<char>(kReadBytes);  // as big as a Linux pipe may be
    LineSplitter lines;
    bool open = true;
  };

  void read(Pipe& pipe) {
    pipe.stream.async_read_some(
        boost::asio::buffer(pipe.buffer),
        [this, &pipe](const boost::system::error_code& error, std::size_t size) {
          lines_.clear();
          const auto collect = [this](std::string_view line) { lines_.push_back(line); };
          if (size > 0) pipe.lines.feed(std::string_view(pipe.buffer.data(), size), collect);
          if (error) pipe.lines.finish(collect);
          if (!lines_.empty()) on_output_(pipe.kind, lines_);
          if (error) {
            pipe.open = false;
            maybe_finish();
            return;
          }
          read(pipe);
        });
  }

  void maybe_finish() {
    if (!exited_ || reported_ || (!drained_ && (out_.open || err_.open))) return;
    reported_ = true;
    drain_timer_.cancel();
    on_exit_(exit_);
  }

  Pipe out_;
  Pipe err_;
  boost::asio::steady_timer drain_timer_;
  EngineProcess::OutputHandler on_output_;
  std::vector<std::string_view> lines_;  // the complete lines of the current read
  EngineProcess::ExitHandler on_exit_;
  EngineExit exit_;
  bool exited_ = false;
  bool drained_ = false;
  bool reported_ = false;
};

}  // namespace es
