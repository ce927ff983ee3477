#pragma once
// Adapter, shared by the POSIX and Windows engine processes: drains the
// engine's stdout and stderr pipes into lines, and reports the engine's end
// once it has exited and both pipes are at end of file. A grandchild that
// keeps a pipe open cannot hold the report back for longer than kDrainLimit.
// `Stream` is the platform's Asio pipe type (posix::stream_descriptor,
// windows::stream_handle). Single-threaded: runs on the loop's thread.

#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>

#include "supervisor/engine_process.hpp"
#include "supervisor/line_splitter.hpp"

namespace es {

template <class Stream>
class OutputDrain {
 public:
  static constexpr auto kDrainLimit = std::chrono::seconds(1);

  OutputDrain(boost::asio::io_context& io, EngineProcess::LineHandler on_line,
              EngineProcess::ExitHandler on_exit)
      : out_(io, OutputStream::kStdout),
        err_(io, OutputStream::kStderr),
        drain_timer_(io),
        on_line_(std::move(on_line)),
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
    std::array<char, 64 * 1024> buffer{};
    LineSplitter lines;
    bool open = true;
  };

  void read(Pipe& pipe) {
    pipe.stream.async_read_some(
        boost::asio::buffer(pipe.buffer),
        [this, &pipe](const boost::system::error_code& error, std::size_t size) {
          const auto emit = [this, &pipe](std::string_view line) { on_line_(pipe.kind, line); };
          if (size > 0) pipe.lines.feed(std::string_view(pipe.buffer.data(), size), emit);
          if (error) {
            pipe.lines.finish(emit);
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
  EngineProcess::LineHandler on_line_;
  EngineProcess::ExitHandler on_exit_;
  EngineExit exit_;
  bool exited_ = false;
  bool drained_ = false;
  bool reported_ = false;
};

}  // namespace es
