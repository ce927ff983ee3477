#pragma once
// Cuts a byte stream into lines. A line longer than the limit is cut at the
// limit, so an engine that never prints '\n' cannot grow the buffer without
// bound. The views passed to `emit` stay valid until the next feed(), so a
// caller may collect the lines of one read and hand them on together.
// Pure; one per stream.

#include <cstddef>
#include <deque>
#include <functional>
#include <string>
#include <string_view>

namespace es {

class LineSplitter {
 public:
  explicit LineSplitter(std::size_t max_line = 64 * 1024) : max_line_(max_line) {}

  // Calls `emit` for each complete line in `bytes` (without '\n' or '\r\n').
  void feed(std::string_view bytes, const std::function<void(std::string_view)>& emit);

  // At end of stream: emits what is left, if anything.
  void finish(const std::function<void(std::string_view)>& emit);

 private:
  void emit_line(std::string_view line, const std::function<void(std::string_view)>& emit);
  std::string partial_;
  std::deque<std::string> held_;  // lines completed from partial_, until the next feed()
  std::size_t max_line_;
};

}  // namespace es
