#pragma once
// The engine's own error lines: its output lines that match
// engine.error_patterns (Traceback, ERROR, CRITICAL, FATAL, Exception by
// default), counted, with the first and last few kept for the summary.
//
// The incident's engine failed to close its session on every run and said
// so only at debug level; an engine that says so at all says it here. This
// informs: a clean exit stays clean. A pattern without regex
// metacharacters is matched as plain text, so the default patterns cost a
// substring search per line, not a regex run, on a chatty engine. Plain
// values; one thread (the watch's).

#include <deque>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace es {

// Whether `pattern` compiles as an ECMAScript regex; the error if not.
std::string regex_error_of(const std::string& pattern);

class EngineErrorLines {
 public:
  // `patterns` must compile (config.cpp checks each with regex_error_of).
  explicit EngineErrorLines(const std::vector<std::string>& patterns);

  void scan(std::string_view line);

  long long count() const { return count_; }
  const std::vector<std::string>& first() const { return first_; }
  std::vector<std::string> last() const { return {last_.begin(), last_.end()}; }

  // {"count": N, "first": [...], "last": [...], "patterns": [...]}
  nlohmann::json to_json() const;

  static constexpr std::size_t kKept = 3;          // first and last lines kept
  static constexpr std::size_t kMaxLineBytes = 500;  // a kept line is cut here

 private:
  struct Pattern {
    std::string text;
    bool literal = true;
    std::regex regex;
  };
  std::vector<Pattern> patterns_;
  long long count_ = 0;
  std::vector<std::string> first_;
  std::deque<std::string> last_;  // the last kKept after the first kKept
};

}  // namespace es
