#pragma once
// Continuity between sessions: is the DB still the one the last run left?
//
// Every run ends by recording the DB at rest in the run history (a
// db_at_rest event); a restore and an accepted change record it too. The
// next start, before the gate opens anything, compares the DB with the
// newest record. A difference that no record explains means that something
// other than this supervisor wrote the DB between sessions, or put another
// copy in its place (a sync tool, a manual copy): a start refuses it
// (exit 65, halt_reason changed_between_sessions) unless the operator
// accepts it (--accept-changed-db) or the config says to warn.
//
// Cheap when nothing changed: the content is read only when the size, the
// times or the file identity differ. The same content with another mtime or
// identity (a `touch`, a copy of identical bytes) is not a change.
// A run whose engine ran and that recorded nothing after it (its supervisor
// was lost) leaves nothing to compare against: the start says no_record and
// relies on the WAL forensics and the gate alone.
// Reads the DB's files and never opens them with SQLite. Blocking; no
// shared state.

#include <filesystem>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/config.hpp"
#include "common/db_at_rest.hpp"
#include "common/run_history.hpp"

namespace es {

// db_health.continuity in the summary.
enum class Continuity {
  kNotChecked,       // the run stopped before the comparison, or the DB could not be looked at
  kOk,               // as the newest record says
  kFirstRun,         // no run of this DB recorded yet
  kNoRecord,         // runs exist, but none left a record since its engine last ran
  kChangedAccepted,  // changed; the run went on under --accept-changed-db
  kChangedWarned,    // changed; the run went on under on_change_between_sessions: warn
  kChangedRefused,   // changed; the run was refused
};
std::string_view to_string(Continuity continuity);

// The newest record of the DB in the history, and what has happened since.
struct ContinuityBaseline {
  std::optional<DbAtRest> record;
  nlohmann::json record_event;  // the event that holds it, as written
  // The newest run with an end, for the message ("the last run ended …").
  std::optional<RunRecord> last_run;
  // A run after the record whose engine ran (or may have: its supervisor was
  // lost) and that recorded nothing: the record no longer says what the DB is.
  std::optional<RunRecord> unrecorded_run;
  std::vector<std::string> warnings;  // a record that could not be read
};

ContinuityBaseline find_baseline(const LoadedHistory& history);

// The DB as found against a record.
struct DbComparison {
  std::vector<std::string> differences;  // each one a change of content, for the operator
  std::vector<std::string> notes;        // differences that change no content (said at info)
  bool digest_read = false;
  double digest_seconds = 0;
  DbAtRest now;  // with its digest when it was read

  bool changed() const { return !differences.empty(); }
};

// Compares the DB's files with `record`. The main file's content counts
// (its digest is read only when size, times or identity differ), and so do
// the -wal's size (committed frames not yet in the main file) and a
// -journal that is not empty (a hot journal: a writer was cut off in a
// transaction). A -shm, or an empty -wal or -journal, that appeared or went
// is a note: any reader leaves those. When a change is found the digest is
// always read, so `now` can be recorded as accepted. Side files named in
// `set_aside` (by suffix) were moved aside by this run itself before the
// comparison (run --accept-data-loss): their difference is a note.
// kIoError when a file cannot be looked at; kUnclean when stopped.
[[nodiscard]] Result<DbComparison> compare_with_record(
    const DbAtRest& record, const std::filesystem::path& db,
    const std::vector<std::string>& set_aside = {}, std::stop_token stop = {});

struct ContinuityRequest {
  std::filesystem::path db_path;
  std::filesystem::path backup_dir;
  ChangePolicy policy = ChangePolicy::kRefuse;  // database.on_change_between_sessions
  bool accept_changed_db = false;               // run --accept-changed-db
  // How a pasted command names this DB: "--config /x/y.yaml", quoted with
  // shell_quote (shell_command.hpp).
  std::string target_argument;
  // Side files this run moved aside before the comparison, by suffix: the
  // -wal and -shm under --accept-data-loss. Their going is explained.
  std::vector<std::string> set_aside;
};

struct ContinuityResult {
  Continuity status = Continuity::kNotChecked;
  std::string detail;  // one line: why this status
  std::vector<std::string> differences;
  std::vector<std::string> notes;
  bool digest_read = false;
  double digest_seconds = 0;
  nlohmann::json baseline;  // the record's event (null when there is none)
  // The DB as found, digest included, when it changed and the run goes on:
  // the caller records it (db_change_accepted_event).
  std::optional<DbAtRest> accepted;
  // kChangedRefused: the full message and its exit code (65; 66 when the
  // DB is gone). kChangedWarned / kChangedAccepted: the same report, for a
  // warning.
  std::string report;
  std::optional<Error> refusal;
  bool stopped = false;  // a stop request cut the digest short; nothing was decided
  std::optional<std::string> warning;  // the DB could not be looked at (kNotChecked)
};

// Finds the baseline in `history`, compares, and applies the policy.
ContinuityResult check_continuity(const ContinuityRequest& request, const LoadedHistory& history,
                                  std::stop_token stop = {});

// The history event of a change a run went on with: {"event":
// "db_change_accepted", "run_id", "at", "by": "--accept-changed-db" |
// "on_change_between_sessions: warn", "differences", "db": {...}}. It is a
// record of the DB like db_at_rest: the next start compares with it.
nlohmann::json db_change_accepted_event(const std::string& run_id, const std::string& at,
                                        const ContinuityResult& result);

// The summary's db_health.continuity_details.
nlohmann::json continuity_details(const ContinuityResult& result, const ContinuityRequest& request);

}  // namespace es
