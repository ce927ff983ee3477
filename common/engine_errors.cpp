#include "common/engine_errors.hpp"

#include <algorithm>

namespace es {

std::string regex_error_of(const std::string& pattern) {
  try {
    std::regex compiled(pattern, std::regex::ECMAScript);
    return {};
  } catch (const std::regex_error& e) {
    return e.what();
  }
}

namespace {
bool is_literal(std::string_view pattern) {
  return pattern.find_first_of("\\^$.|?*+()[]{}") == std::string_view::npos;
}

std::string kept(std::string_view line) {
  if (line.size() <= EngineErrorLines::kMaxLineBytes) return std::string(line);
  return std::string(line.substr(0, EngineErrorLines::kMaxLineBytes)) + "…";
}
}  // namespace

EngineErrorLines::EngineErrorLines(const std::vector<std::string>& patterns) {
  for (const auto& text : patterns) {
    Pattern pattern{text, is_literal(text), {}};
    if (!pattern.literal) pattern.regex = std::regex(text, std::regex::ECMAScript | std::regex::optimize);
    patterns_.push_back(std::move(pattern));
  }
}

void EngineErrorLines::scan(std::string_view line) {
  const bool matches = std::any_of(patterns_.begin(), patterns_.end(), [&](const Pattern& p) {
    return p.literal ? line.find(p.text) != std::string_view::npos
                     : std::regex_search(line.begin(), line.end(), p.regex);
  });
  if (!matches) return;
  ++count_;
  if (first_.size() < kKept) {
    first_.push_back(kept(line));
    return;
  }
  last_.push_back(kept(line));
  if (last_.size() > kKept) last_.pop_front();
}

nlohmann::json EngineErrorLines::to_json() const {
  nlohmann::json patterns = nlohmann::json::array();
  for (const auto& p : patterns_) patterns.push_back(p.text);
  return {{"count", count_}, {"first", first_}, {"last", last()}, {"patterns", patterns}};
}

}  // namespace es
