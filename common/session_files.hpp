#pragma once
// Keeping the files of the last `logging.keep_sessions` runs, so a chatty
// engine never fills the disk: older sessions' logs (`session-<run id>.log`
// and its `.tail` files, log_file_sinks.hpp) and summaries
// (`session-<run id>.json`) are deleted, oldest run first.
//
// Only regular files whose whole name is one of those, with a run id the
// supervisor makes (`<UTC stamp>-<pid>`), are ever deleted: never
// latest.json, engine-supervisor.log, a folder, or anything else in the
// folders. Run ids sort as their runs started. Blocking; called with the
// session lock held, after the run's own files exist.

#include <filesystem>
#include <string>
#include <vector>

namespace es {

struct PrunedSessions {
  std::vector<std::filesystem::path> deleted;
  std::vector<std::string> warnings;  // a file that could not be deleted, named, with the cause
};

// Keeps the files of the newest `keep` runs found in the two folders (the
// current run's always among them).
PrunedSessions prune_session_files(const std::filesystem::path& logging_dir,
                                   const std::filesystem::path& summary_dir, int keep,
                                   const std::string& current_run_id);

}  // namespace es
