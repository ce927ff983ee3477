#pragma once
// Metrics for fleets: after every run that held the lock, the run's figures in
// the Prometheus text format, written atomically to `metrics.textfile` for
// node_exporter's textfile collector (which reads *.prom files, and must
// never see half of one). Pure rendering plus one atomic write.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "common/result.hpp"

namespace es {

struct RunMetrics {
  std::string db;       // the DB's path, the `db` label on every series
  std::string run_id;
  std::string outcome;  // clean | unclean | aborted
  std::string halt_reason;
  int exit_code = 0;    // the supervisor's
  std::int64_t finished_at_unix = 0;
  double session_seconds = 0;  // the whole run, lock to summary
  double gate_seconds = 0;
  double pre_session_backup_seconds = 0;
  double post_session_backup_seconds = 0;
  std::optional<double> newest_backup_age_seconds;  // none: no backup at all
  std::optional<std::uintmax_t> db_size_bytes;      // none: no DB file
  std::int64_t runs_total = 0;          // in the history, this run included
  std::int64_t unclean_runs_total = 0;  // outcome unclean, this run included
  std::int64_t engine_error_lines = 0;
};

// The text node_exporter reads: HELP and TYPE lines, then the samples, each
// labelled with the DB. Label values are escaped as the format requires.
std::string render_metrics(const RunMetrics& metrics);

// Renders and writes `file` atomically (a temporary beside it, renamed).
[[nodiscard]] Result<void> write_metrics_textfile(const std::filesystem::path& file,
                                                  const RunMetrics& metrics);

}  // namespace es
