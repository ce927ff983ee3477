#pragma once
// Progress of long work (an integrity check, a backup), shown only once the
// work has taken about a second. On a terminal: one line on stderr, redrawn
// in place a few times a second. Off a terminal (a scheduled task, a log):
// a plain log line every 10 seconds instead.
// Not thread-safe: one display per piece of work, updated from one thread.

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace es {

class ProgressDisplay {
 public:
  // Where the text goes: (text, on_terminal). The default writes to the
  // console on a terminal and to the log otherwise.
  using Writer = std::function<void(const std::string& text, bool terminal)>;

  explicit ProgressDisplay(std::string label);
  ProgressDisplay(std::string label, std::chrono::milliseconds quiet_start, bool terminal,
                  Writer writer);
  ~ProgressDisplay();
  ProgressDisplay(const ProgressDisplay&) = delete;

  // `fraction` in [0, 1] when known (shown as a percentage), else nullopt;
  // `detail` says what else is known ("12.3 s, 250000 pages").
  void update(std::optional<double> fraction, const std::string& detail);

  // Ends the display (the terminal line is finished with a newline).
  void finish();

  double elapsed_seconds() const;

 private:
  using Clock = std::chrono::steady_clock;
  std::string label_;
  std::chrono::milliseconds quiet_start_;
  bool terminal_;
  Writer writer_;
  Clock::time_point start_ = Clock::now();
  Clock::time_point last_shown_{};
  bool shown_ = false;
  bool finished_ = false;
};

// Adapters for the two kinds of long work: the integrity check (elapsed time
// and pages; SQLite gives no percentage) and the backup API (percent done).
std::function<bool(double seconds, std::int64_t pages)> show_check_progress(ProgressDisplay& display);
std::function<void(int remaining, int total)> show_backup_progress(ProgressDisplay& display);

}  // namespace es
