#include "common/terminal_text.hpp"

#include <algorithm>
#include <cstdlib>

#include "common/os_info.hpp"

namespace es {

namespace {

constexpr char kEsc = '\x1b';

bool is_control(char c) {
  const auto byte = static_cast<unsigned char>(c);
  return (byte < 0x20 && c != '\t') || byte == 0x7f;
}

// True if `line` holds a control character. No early exit: the loop is an
// OR over bytes that the compiler vectorizes, which matters on the output
// path (a per-byte early-exit scan was 18 % of the supervisor's time under
// a flood of engine lines; issue 14.3).
bool has_control(std::string_view line) {
  unsigned any = 0;
  for (const char c : line) {
    const auto byte = static_cast<unsigned char>(c);
    any |= static_cast<unsigned>(byte < 0x20) & static_cast<unsigned>(byte != '\t');
    any |= static_cast<unsigned>(byte == 0x7f);
  }
  return any != 0;
}

// Where the escape sequence starting at `at` (an ESC) ends: one past it.
std::size_t escape_end(std::string_view line, std::size_t at) {
  if (at + 1 >= line.size()) return line.size();
  const char kind = line[at + 1];
  if (kind == '[') {  // CSI: parameters and intermediates, then a final byte @ to ~
    for (std::size_t i = at + 2; i < line.size(); ++i) {
      const auto byte = static_cast<unsigned char>(line[i]);
      if (byte >= 0x40 && byte <= 0x7e) return i + 1;
    }
    return line.size();
  }
  if (kind == ']' || kind == 'P' || kind == '_' || kind == '^') {  // OSC, DCS, APC, PM: to BEL or ST
    for (std::size_t i = at + 2; i < line.size(); ++i) {
      if (line[i] == '\a') return i + 1;
      if (line[i] == kEsc && i + 1 < line.size() && line[i + 1] == '\\') return i + 2;
    }
    return line.size();
  }
  // Otherwise (ECMA-35): intermediates 0x20-0x2F, then one final byte. A
  // charset choice (ESC ( B), a keypad mode (ESC =), …
  std::size_t i = at + 1;
  while (i < line.size() && static_cast<unsigned char>(line[i]) >= 0x20 &&
         static_cast<unsigned char>(line[i]) <= 0x2f) {
    ++i;
  }
  return std::min(i + 1, line.size());
}

}  // namespace

void append_without_escapes(std::string& out, std::string_view line) {
  // The usual line has no control character at all: one append.
  if (!has_control(line)) {
    out.append(line);
    return;
  }
  for (std::size_t i = 0; i < line.size();) {
    if (line[i] == kEsc) {
      i = escape_end(line, i);
    } else {
      if (!is_control(line[i])) out.push_back(line[i]);
      ++i;
    }
  }
}

bool console_understands_escapes(int fd) {
  if (!stream_is_terminal(fd)) return false;
#ifdef _WIN32
  return true;  // Windows 10's console takes VT sequences, as the coloured levels do
#else
  const char* term = std::getenv("TERM");
  return term != nullptr && *term != '\0' && std::string_view(term) != "dumb";
#endif
}

}  // namespace es
