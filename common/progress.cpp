#include "common/progress.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/console.hpp"
#include "common/os_info.hpp"

namespace es {

namespace {
constexpr auto kQuietStart = std::chrono::milliseconds(1000);
constexpr auto kTerminalEvery = std::chrono::milliseconds(200);
constexpr auto kLogEvery = std::chrono::seconds(10);
}  // namespace

ProgressDisplay::ProgressDisplay(std::string label)
    : ProgressDisplay(std::move(label), kQuietStart, stream_is_terminal(2),
                      [](const std::string& text, bool terminal) {
                        if (terminal) {
                          console_write(ConsoleStream::kErr, text);
                        } else {
                          spdlog::info("{}", text);
                        }
                      }) {}

ProgressDisplay::ProgressDisplay(std::string label, std::chrono::milliseconds quiet_start,
                                 bool terminal, Writer writer)
    : label_(std::move(label)),
      quiet_start_(quiet_start),
      terminal_(terminal),
      writer_(std::move(writer)) {}

ProgressDisplay::~ProgressDisplay() { finish(); }

double ProgressDisplay::elapsed_seconds() const {
  return std::chrono::duration<double>(Clock::now() - start_).count();
}

void ProgressDisplay::update(std::optional<double> fraction, const std::string& detail) {
  const auto now = Clock::now();
  if (finished_ || now - start_ < quiet_start_) return;
  if (shown_ && now - last_shown_ < (terminal_ ? kTerminalEvery : kLogEvery)) return;
  last_shown_ = now;
  shown_ = true;
  const std::string text =
      fraction ? fmt::format("{}: {:5.1f} % ({})", label_, *fraction * 100.0, detail)
               : fmt::format("{}: {}", label_, detail);
  writer_(terminal_ ? "\r\033[K" + text : text, terminal_);
}

void ProgressDisplay::finish() {
  if (finished_) return;
  finished_ = true;
  if (shown_ && terminal_) writer_("\r\033[K", true);
}

std::function<bool(double, std::int64_t)> show_check_progress(ProgressDisplay& display) {
  return [&display](double seconds, std::int64_t pages) {
    display.update(std::nullopt, fmt::format("{:.1f} s elapsed, {} pages", seconds, pages));
    return true;
  };
}

std::function<void(int, int)> show_backup_progress(ProgressDisplay& display) {
  return [&display](int remaining, int total) {
    if (total <= 0) return;
    const double done = static_cast<double>(total - remaining) / total;
    display.update(done, fmt::format("{} of {} pages, {:.1f} s", total - remaining, total,
                                     display.elapsed_seconds()));
  };
}

}  // namespace es
