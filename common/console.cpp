#include "common/console.hpp"

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <mutex>
#include <thread>

#include "common/console_write.hpp"

namespace es {
namespace {

struct Chunk {
  ConsoleStream stream;
  std::string text;
};

class Console {
 public:
  static Console& instance() {
    // Leaked on purpose: the writer thread may still be blocked in write()
    // while static destructors run at exit.
    static Console* console = new Console();
    return *console;
  }

  void write(ConsoleStream stream, std::string&& text) {
    std::lock_guard lock(mutex_);
    if (queued_bytes_ + text.size() > limit_) {
      // A write may hold many lines (the engine's output comes a read at a
      // time): count lines, as the note says.
      const auto lines = std::max<std::uint64_t>(1, std::count(text.begin(), text.end(), '\n'));
      dropped_ += lines;
      dropped_since_report_ += lines;
      return;
    }
    if (dropped_since_report_ > 0) {
      const std::string note = "[console: " + std::to_string(dropped_since_report_) +
                               " lines skipped because the console was too slow; the log file "
                               "has every line]\n";
      queued_bytes_ += note.size();
      queue_.push_back(Chunk{ConsoleStream::kErr, note});
      dropped_since_report_ = 0;
    }
    queued_bytes_ += text.size();
    queue_.push_back(Chunk{stream, std::move(text)});
    wake_.notify_one();
  }

  bool flush(std::chrono::milliseconds limit) {
    std::unique_lock lock(mutex_);
    return drained_.wait_for(lock, limit, [this] { return queue_.empty() && !busy_; });
  }

  std::uint64_t dropped() {
    std::lock_guard lock(mutex_);
    return dropped_;
  }

  void set_limit(std::size_t bytes) {
    std::lock_guard lock(mutex_);
    limit_ = bytes;
  }

 private:
  Console() : thread_([this] { run(); }) { thread_.detach(); }

  void run() {
    for (;;) {
      Chunk chunk;
      {
        std::unique_lock lock(mutex_);
        busy_ = false;
        if (queue_.empty()) drained_.notify_all();
        wake_.wait(lock, [this] { return !queue_.empty(); });
        chunk = std::move(queue_.front());
        queue_.pop_front();
        queued_bytes_ -= chunk.text.size();
        busy_ = true;
      }
      write_to_stream(static_cast<int>(chunk.stream), chunk.text);
    }
  }

  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable drained_;
  std::deque<Chunk> queue_;
  std::size_t queued_bytes_ = 0;
  std::size_t limit_ = 4u << 20;
  std::uint64_t dropped_ = 0;
  std::uint64_t dropped_since_report_ = 0;
  bool busy_ = false;
  std::thread thread_;
};

}  // namespace

void console_write(ConsoleStream stream, std::string text) {
  Console::instance().write(stream, std::move(text));
}

bool console_flush(std::chrono::milliseconds limit) { return Console::instance().flush(limit); }

std::uint64_t console_dropped_lines() { return Console::instance().dropped(); }

void set_console_queue_limit(std::size_t bytes) { Console::instance().set_limit(bytes); }

}  // namespace es
