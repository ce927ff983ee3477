#pragma once
// The supervisor's durable run history: an append-only JSON Lines file
// beside the DB (`<db>.supervisor-history.jsonl`), never the engine's DB.
//
// Each line is one event, fsynced when written: a run started, the engine
// started, a stop was requested, the run finished, a restore, the DB at rest
// (db_at_rest), a change between sessions accepted. A run with a
// start and no finish is still `running`; after its supervisor died it is
// found that way at the next start and closed as supervisor_lost.
// A line that does not parse (a torn write, a hand edit) is skipped with a
// warning: a damaged history never stops a session.
// One writer at a time (the holder of the session lock); not thread-safe.

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.hpp"

namespace es {

struct RunRecord {
  std::string run_id;
  std::string started_at;
  std::optional<std::string> ended_at;
  std::string outcome = "running";  // running | clean | unclean | aborted
  std::string halt_reason;
  std::optional<int> exit_code;
  std::optional<std::string> signal;
  std::optional<long> engine_pid;
  std::optional<std::string> engine_started_at;  // none in histories from before it was recorded
  std::string engine_cgroup;  // the engine's cgroup folder; "" if it had none (engine_tree.hpp)
  std::string summary_path;
  std::optional<std::string> post_session_backup;  // its file name, from run_finished
  nlohmann::json started;  // the run_started event as written, for recovery

  bool running() const { return outcome == "running"; }
};

// A run with no end goes on only while its supervisor lives; once that is
// gone, the next `run` will record it as lost. A pid reused since can make a
// lost run look alive, never a live one look lost.
bool supervisor_gone(const RunRecord& run);

struct LoadedHistory {
  std::vector<RunRecord> runs;  // oldest first
  std::vector<nlohmann::json> other_events;  // restores, accepted losses and the like, oldest first
  std::vector<nlohmann::json> events;  // every readable event, in the file's order
  std::vector<std::string> warnings;
};

class RunHistory {
 public:
  explicit RunHistory(std::filesystem::path file) : file_(std::move(file)) {}

  static std::filesystem::path path_for(const std::filesystem::path& db_path);

  const std::filesystem::path& file() const { return file_; }

  // Appends one event line and fsyncs it. Creates the file (0600) if needed.
  [[nodiscard]] Result<void> append(const nlohmann::json& event) const;

  // Rewrites the file (atomically) from the start of the newest `keep`
  // runs on, for logging.keep_sessions; returns how many runs it dropped.
  // Holds the session lock's writer to it: nothing else appends meanwhile.
  [[nodiscard]] Result<std::size_t> keep_newest_runs(std::size_t keep) const;

  // Reads what can be read. A missing file is an empty history.
  LoadedHistory load() const;

 private:
  std::filesystem::path file_;
};

// The events, built in one place so writer and reader agree on the fields.
nlohmann::json run_started_event(const std::string& run_id, const std::string& started_at,
                                 const nlohmann::json& details);
// `cgroup`: the engine's own cgroup folder, "" when it has none.
nlohmann::json engine_started_event(const std::string& run_id, long pid, const std::string& at,
                                    const std::string& cgroup = "");
nlohmann::json stop_requested_event(const std::string& run_id, const std::string& at,
                                    const std::string& reason);
nlohmann::json run_finished_event(const RunRecord& finished);
// The operator accepted committed transactions lost from the -wal (run
// --accept-data-loss): what was lost, and where its evidence went.
nlohmann::json data_loss_accepted_event(const std::string& run_id, const std::string& at,
                                        const nlohmann::json& wal_evidence,
                                        const std::string& evidence_folder);

// A run rolled back a hot rollback journal before its gate
// (hot_journal.hpp): what was found, where its evidence went, and `db`, the
// DB as the rollback left it (db_at_rest.hpp's to_json), when it could be
// looked at. With `db` it is a record of the DB for the next start's
// continuity check, like db_at_rest.
nlohmann::json hot_journal_rolled_back_event(const std::string& run_id, const std::string& at,
                                             const nlohmann::json& hot_journal,
                                             const std::optional<nlohmann::json>& db);

}  // namespace es
