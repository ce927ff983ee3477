#include "common/session_files.hpp"

#include <map>
#include <regex>
#include <set>

#include "common/fs_ops.hpp"

namespace es {
namespace fs = std::filesystem;

namespace {

// session-<YYYYMMDDThhmmssZ>-<pid><one of the session files' endings>
const std::regex& session_file_name() {
  static const std::regex name(
      R"(session-([0-9]{8}T[0-9]{6}Z-[0-9]{1,10})(\.json|\.log|\.tail\.log|\.tail\.old\.log))");
  return name;
}

void collect(const fs::path& folder, std::map<std::string, std::vector<fs::path>, std::greater<>>& runs) {
  std::error_code ec;
  for (fs::directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code status_error;
    if (!it->is_regular_file(status_error) || it->is_symlink(status_error)) continue;
    std::smatch match;
    const auto name = it->path().filename().string();
    if (!std::regex_match(name, match, session_file_name())) continue;
    auto& files = runs[match[1].str()];
    if (std::find(files.begin(), files.end(), it->path()) == files.end()) {
      files.push_back(it->path());
    }
  }
}

}  // namespace

PrunedSessions prune_session_files(const fs::path& logging_dir, const fs::path& summary_dir,
                                   int keep, const std::string& current_run_id) {
  std::map<std::string, std::vector<fs::path>, std::greater<>> runs;  // newest first
  collect(logging_dir, runs);
  if (summary_dir != logging_dir) collect(summary_dir, runs);
  PrunedSessions pruned;
  int kept = 0;
  for (const auto& [run_id, files] : runs) {
    if (run_id == current_run_id || kept < keep) {
      ++kept;
      continue;
    }
    for (const auto& file : files) {
      auto removed = remove_file(file);
      if (!removed) {
        pruned.warnings.push_back("logging.keep_sessions: " + removed.error().message);
      } else if (*removed) {
        pruned.deleted.push_back(file);
      }
    }
  }
  return pruned;
}

}  // namespace es
