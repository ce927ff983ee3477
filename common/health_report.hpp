#pragma once
// The health report (`engine-supervisor report`): one static HTML page of a
// DB's recent runs, read from the run history and the runs' summaries, and
// of its backups. Gathering the figures from a summary and rendering the
// page are pure; the command (supervisor/commands/report.cpp) reads the
// files. The page is common/health_report.html, compiled in, with its
// double-braced slots filled here: the charts are inline SVG written here, so the page
// needs nothing from the network and runs no script.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/run_history.hpp"
#include "common/time_stamp.hpp"

namespace es {

// The marker in the first lines of every report: an existing file that
// starts with it is one the supervisor wrote, and may be replaced.
inline constexpr std::string_view kHealthReportMarker = "<!-- engine-supervisor health report -->";

// One run as the report shows it.
struct ReportRun {
  std::string run_id;
  std::string started_at;
  std::optional<std::string> ended_at;
  // clean | unclean | aborted | lost | running. `lost`: the supervisor died
  // (recorded as unclean / supervisor_lost, or not yet recorded at all).
  std::string shown;
  std::string outcome;  // as recorded
  std::string halt_reason;
  bool refused = false;  // aborted by a check, not by a stop request
  std::optional<double> seconds;  // start to end (to now while running)
  std::optional<double> gate_seconds;  // the integrity check, when it ran
  std::optional<std::uintmax_t> db_bytes;  // the DB's main file at the gate (or at rest)
  std::string why;  // one line: what refused or cut the run; "" for a clean run
};

// A warning, an alert the notifier sent (or failed to), a failed db_check,
// or the engine's own error lines, in the run that had it.
struct ReportProblem {
  std::string run_id;
  std::string kind;  // warning | alert | db_check | engine_errors
  std::string text;
};

struct ReportBackup {
  std::string file;  // its name in the backup folder
  std::string kind;  // bak | post | manual | …
  std::string taken_at;
  std::optional<double> age_seconds;  // none when nothing tells when it was taken
  std::uintmax_t bytes = 0;
  bool verified = false;  // quick_check ok, and it holds pages
  std::string check;      // the check's first line
};

struct HealthReport {
  std::string db_path;
  std::string backup_dir;
  std::string history_file;
  std::string generated_at;  // ISO 8601 UTC
  std::string version;
  std::size_t runs_total = 0;  // in the history
  std::vector<ReportRun> runs;  // the shown ones, oldest first
  std::vector<ReportProblem> problems;  // oldest run first
  std::vector<ReportBackup> backups;  // newest first
};

// The run as the report shows it, from its history record and its summary
// (an empty object when it has none). `supervisor_gone`: the run never
// finished and its supervisor is no longer alive.
ReportRun report_run_of(const RunRecord& run, const nlohmann::json& summary, bool supervisor_gone,
                        Clock::time_point now);

// The summary's warnings, alerts, failed db_checks and engine error lines.
std::vector<ReportProblem> report_problems_of(const std::string& run_id,
                                              const nlohmann::json& summary);

// The whole page. Every text from outside (paths, messages, run ids) is
// escaped, and bytes that are not UTF-8 become U+FFFD.
std::string render_health_report(const HealthReport& report);

// The page as it is compiled in, with its slots unfilled.
std::string_view health_report_template();

}  // namespace es
