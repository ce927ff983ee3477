#include "common/metrics_textfile.hpp"

#include <fmt/format.h>

#include "common/atomic_file.hpp"

namespace es {

namespace {

// The text format's label value: backslash, double quote and line feed escaped.
std::string label_value(std::string_view text) {
  std::string out;
  for (const char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

class Writer {
 public:
  explicit Writer(const std::string& db) : db_label_("db=\"" + label_value(db) + "\"") {}

  void metric(std::string_view name, std::string_view type, std::string_view help) {
    text_ += fmt::format("# HELP engine_supervisor_{} {}\n# TYPE engine_supervisor_{} {}\n", name,
                         help, name, type);
  }
  void sample(std::string_view name, double value, std::string_view extra_labels = {}) {
    text_ += fmt::format("engine_supervisor_{}{{{}{}{}}} {}\n", name, db_label_,
                         extra_labels.empty() ? "" : ",", extra_labels, value);
  }
  void one(std::string_view name, std::string_view type, std::string_view help, double value) {
    metric(name, type, help);
    sample(name, value);
  }
  std::string take() { return std::move(text_); }

 private:
  std::string db_label_;
  std::string text_;
};

}  // namespace

std::string render_metrics(const RunMetrics& m) {
  Writer w(m.db);
  w.metric("last_run_outcome", "gauge",
           "1 for the last run's outcome (clean, unclean, aborted), 0 for the others.");
  for (const char* outcome : {"clean", "unclean", "aborted"}) {
    w.sample("last_run_outcome", m.outcome == outcome ? 1 : 0,
             fmt::format("outcome=\"{}\"", outcome));
  }
  w.metric("last_run_info", "gauge", "The last run's id and halt reason, as labels; always 1.");
  w.sample("last_run_info", 1,
           fmt::format("run_id=\"{}\",halt_reason=\"{}\"", label_value(m.run_id),
                       label_value(m.halt_reason)));
  w.one("last_run_exit_code", "gauge", "The supervisor's exit code for the last run.", m.exit_code);
  w.one("last_run_finished_timestamp_seconds", "gauge", "When the last run ended, Unix time.",
        static_cast<double>(m.finished_at_unix));
  w.one("last_run_session_seconds", "gauge", "How long the last run took, start to summary.",
        m.session_seconds);
  w.one("last_run_gate_seconds", "gauge", "How long the last run's integrity check took.",
        m.gate_seconds);
  w.one("last_run_pre_session_backup_seconds", "gauge",
        "How long the last run's pre-session backup took; 0 when none was taken.",
        m.pre_session_backup_seconds);
  w.one("last_run_post_session_backup_seconds", "gauge",
        "How long the last run's post-session backup took; 0 when none was taken.",
        m.post_session_backup_seconds);
  w.one("last_run_engine_error_lines", "gauge",
        "The engine's output lines that matched engine.error_patterns in the last run.",
        static_cast<double>(m.engine_error_lines));
  if (m.newest_backup_age_seconds) {
    w.one("newest_backup_age_seconds", "gauge", "Age of the newest backup of the DB.",
          *m.newest_backup_age_seconds);
  }
  if (m.db_size_bytes) {
    w.one("db_size_bytes", "gauge", "Size of the DB's main file at the run's end.",
          static_cast<double>(*m.db_size_bytes));
  }
  w.one("runs_total", "counter", "Runs of this DB in its history.",
        static_cast<double>(m.runs_total));
  w.one("unclean_runs_total", "counter", "Runs of this DB in its history that ended unclean.",
        static_cast<double>(m.unclean_runs_total));
  return w.take();
}

Result<void> write_metrics_textfile(const std::filesystem::path& file, const RunMetrics& metrics) {
  return write_file_atomically(file, render_metrics(metrics));
}

}  // namespace es
