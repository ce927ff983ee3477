// Issue 11 (small): the engine's escape codes stay in the log and leave the
// console unless it is a terminal that acts on them.

#include "common/terminal_text.hpp"

#include <doctest/doctest.h>

using namespace es;

namespace {

std::string stripped(std::string_view line) {
  std::string out;
  append_without_escapes(out, line);
  return out;
}

}  // namespace

TEST_CASE("terminal text: escape sequences and control characters go, text and UTF-8 stay") {
  CHECK(stripped("plain line\twith a tab") == "plain line\twith a tab");
  CHECK(stripped("\x1b[31;1mRED\x1b[0m" " done") == "RED done");
  CHECK(stripped("\x1b]0;window title\x07" "after") == "after");
  CHECK(stripped("\x1b]8;;http://x\x1b\\" "link\x1b]8;;\x1b\\") == "link");
  CHECK(stripped("\x1b(" "Bcharset") == "charset");
  CHECK(stripped("bell\x07" " back\x08" "space\r" "cr") == "bell backspacecr");
  CHECK(stripped("caf\xc3\xa9" " \xe2\x82\xac") == "caf\xc3\xa9" " \xe2\x82\xac");
  CHECK(stripped("cut off \x1b[3") == "cut off ");
  CHECK(stripped("\x1b") == "");
}
