#include "supervisor/line_splitter.hpp"

namespace es {

void LineSplitter::emit_line(std::string_view line,
                             const std::function<void(std::string_view)>& emit) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  emit(line);
}

void LineSplitter::feed(std::string_view bytes, const std::function<void(std::string_view)>& emit) {
  held_.clear();
  while (!bytes.empty()) {
    const auto newline = bytes.find('\n');
    if (newline == std::string_view::npos) {
      partial_.append(bytes);
      while (partial_.size() >= max_line_) {
        emit(held_.emplace_back(partial_, 0, max_line_));
        partial_.erase(0, max_line_);
      }
      return;
    }
    if (partial_.empty()) {
      // The common case: a whole line in the buffer, no copy.
      emit_line(bytes.substr(0, newline), emit);
    } else {
      partial_.append(bytes.substr(0, newline));
      emit_line(held_.emplace_back(std::move(partial_)), emit);
      partial_.clear();
    }
    bytes.remove_prefix(newline + 1);
  }
}

void LineSplitter::finish(const std::function<void(std::string_view)>& emit) {
  if (!partial_.empty()) emit_line(held_.emplace_back(std::move(partial_)), emit);
  partial_.clear();
}

}  // namespace es
