#include "supervisor/line_splitter.hpp"

#include <doctest/doctest.h>

#include <vector>

using es::LineSplitter;

TEST_CASE("line_splitter: lines across reads, CRLF, and a last line without newline") {
  LineSplitter splitter;
  std::vector<std::string> lines;
  const auto emit = [&](std::string_view line) { lines.emplace_back(line); };
  splitter.feed("one\ntw", emit);
  splitter.feed("o\r\nthree\n\nfo", emit);
  splitter.feed("ur", emit);
  splitter.finish(emit);
  CHECK(lines == std::vector<std::string>{"one", "two", "three", "", "four"});
}

TEST_CASE("line_splitter: a line without end is cut at the limit, never buffered without bound") {
  LineSplitter splitter(10);
  std::vector<std::string> lines;
  const auto emit = [&](std::string_view line) { lines.emplace_back(line); };
  splitter.feed(std::string(25, 'x'), emit);
  CHECK(lines.size() == 2);
  splitter.finish(emit);
  CHECK(lines.size() == 3);
  CHECK(lines[2] == "xxxxx");
}

TEST_CASE("line_splitter: the lines of one read stay valid together until the next read") {
  LineSplitter splitter(8);
  std::vector<std::string_view> views;
  const auto keep = [&](std::string_view line) { views.push_back(line); };
  splitter.feed("par", keep);
  CHECK(views.empty());
  const std::string second = "tial\nwhole\nxxxxxxxxxxyy";
  splitter.feed(second, keep);  // completes a line held over, then cuts a long one
  splitter.finish(keep);
  REQUIRE(views.size() == 4);
  CHECK(views[0] == "partial");
  CHECK(views[1] == "whole");
  CHECK(views[2] == "xxxxxxxx");
  CHECK(views[3] == "xxyy");
}
