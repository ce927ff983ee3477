#include <unistd.h>

#include <cerrno>
#include <csignal>

#include "common/console.hpp"
#include "common/console_write.hpp"

namespace es {

void write_to_stream(int fd, std::string_view text) {
  while (!text.empty()) {
    const auto written = ::write(fd, text.data(), text.size());
    if (written < 0 && errno == EINTR) continue;
    // A closed console (EPIPE, EIO) is not an error worth more than losing
    // the echo: the log file has every line.
    if (written <= 0) return;
    text.remove_prefix(static_cast<std::size_t>(written));
  }
}

void survive_console_loss() {
  // Without this, the first write to a pipe whose reader is gone (`run |
  // head -n 2`) kills the supervisor mid-session, and its engine with it.
  ::signal(SIGPIPE, SIG_IGN);
}

}  // namespace es
