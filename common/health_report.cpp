#include "common/health_report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "common/backup_retention.hpp"

namespace es {

extern const char kHealthReportTemplate[];  // generated from common/health_report.html

namespace {

// ---- text -----------------------------------------------------------------

// Appends `text` with its bytes that are not UTF-8 replaced by U+FFFD, and
// the five characters HTML gives meaning to escaped.
void append_escaped(std::string& out, std::string_view text) {
  const auto* bytes = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t size = text.size();
  for (std::size_t i = 0; i < size;) {
    const unsigned char c = bytes[i];
    if (c < 0x80) {
      switch (c) {
        case '&': out += "&amp;"; break;
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '"': out += "&quot;"; break;
        case '\'': out += "&#39;"; break;
        default: out += static_cast<char>(c);
      }
      ++i;
      continue;
    }
    // The length a lead byte announces, and the smallest and largest second
    // byte it allows (no overlong forms, no surrogates, nothing past U+10FFFF).
    std::size_t length = 0;
    unsigned char low = 0x80, high = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
      length = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      length = 3;
      if (c == 0xE0) low = 0xA0;
      if (c == 0xED) high = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      length = 4;
      if (c == 0xF0) low = 0x90;
      if (c == 0xF4) high = 0x8F;
    }
    bool valid = length > 0 && i + length <= size && bytes[i + 1] >= low && bytes[i + 1] <= high;
    for (std::size_t k = 2; valid && k < length; ++k) valid = (bytes[i + k] & 0xC0) == 0x80;
    if (valid) {
      out.append(text.substr(i, length));
      i += length;
    } else {
      out += "\xEF\xBF\xBD";
      ++i;
    }
  }
}

std::string esc(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  append_escaped(out, text);
  return out;
}

std::string describe_seconds(double seconds) {
  if (seconds < 1) return fmt::format("{:.0f} ms", seconds * 1000);
  if (seconds < 60) return fmt::format("{:.1f} s", seconds);
  return describe_age(std::chrono::seconds(static_cast<long long>(seconds)));
}

std::string describe_bytes(double bytes) {
  static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int unit = 0;
  while (bytes >= 1024 && unit < 4) {
    bytes /= 1024;
    ++unit;
  }
  return unit == 0 ? fmt::format("{:.0f} B", bytes) : fmt::format("{:.1f} {}", bytes, kUnits[unit]);
}

std::string string_at(const nlohmann::json& object, const char* key) {
  if (!object.is_object()) return "";
  const auto found = object.find(key);
  return found != object.end() && found->is_string() ? found->get<std::string>() : "";
}

std::optional<double> number_at(const nlohmann::json& object, const char* key) {
  if (!object.is_object()) return std::nullopt;
  const auto found = object.find(key);
  if (found == object.end() || !found->is_number()) return std::nullopt;
  return found->get<double>();
}

const nlohmann::json& object_at(const nlohmann::json& object, const char* key) {
  static const nlohmann::json kNone = nlohmann::json::object();
  if (!object.is_object()) return kNone;
  const auto found = object.find(key);
  return found != object.end() && found->is_object() ? *found : kNone;
}

const nlohmann::json& array_at(const nlohmann::json& object, const char* key) {
  static const nlohmann::json kNone = nlohmann::json::array();
  if (!object.is_object()) return kNone;
  const auto found = object.find(key);
  return found != object.end() && found->is_array() ? *found : kNone;
}

// ---- gathering --------------------------------------------------------------

// What refused or cut a run short, in one line, from its summary.
std::string why_of(const ReportRun& run, const nlohmann::json& summary) {
  if (run.shown == "clean" || run.shown == "running") return "";
  if (run.shown == "lost") {
    return "the supervisor died before the run ended (killed, power cut, or its console closed "
           "too fast); recorded at the next start";
  }
  const auto& health = object_at(summary, "db_health");
  for (const auto& check : array_at(health, "db_checks")) {
    if (check.is_object() && check.value("passed", true) == false &&
        string_at(check, "on_fail") == "refuse") {
      return "db_check " + string_at(check, "name") + " failed" +
             (check.contains("found") && check["found"].is_string()
                  ? ": found " + check["found"].get<std::string>()
                  : "");
    }
  }
  const auto integrity = string_at(health, "integrity_check");
  if (!integrity.empty() && integrity != "ok" && integrity != "skipped") {
    return "integrity check: " + integrity;
  }
  const auto& continuity = object_at(health, "continuity_details");
  if (string_at(health, "continuity") == "changed") {
    return "the DB changed between sessions: " + string_at(continuity, "detail");
  }
  const auto& wal = object_at(health, "wal_evidence");
  if (const auto verdict = string_at(wal, "verdict"); verdict == "lost" || verdict == "orphaned") {
    return "WAL forensics: " + verdict + (wal.contains("cause") && wal["cause"].is_string()
                                              ? " (" + wal["cause"].get<std::string>() + ")"
                                              : "");
  }
  const auto& warnings = array_at(health, "warnings");
  if (!warnings.empty() && warnings.front().is_string()) return warnings.front().get<std::string>();
  return run.halt_reason;
}

}  // namespace

ReportRun report_run_of(const RunRecord& run, const nlohmann::json& summary, bool supervisor_gone,
                        Clock::time_point now) {
  ReportRun shown;
  shown.run_id = run.run_id;
  shown.started_at = run.started_at;
  shown.ended_at = run.ended_at;
  shown.outcome = supervisor_gone ? "unclean" : run.outcome;
  shown.halt_reason = supervisor_gone ? "supervisor_lost" : run.halt_reason;
  shown.shown = shown.halt_reason == "supervisor_lost" ? "lost" : shown.outcome;
  if (shown.shown != "clean" && shown.shown != "unclean" && shown.shown != "aborted" &&
      shown.shown != "lost" && shown.shown != "running") {
    shown.shown = "unclean";  // an outcome this release does not know is not a clean one
  }
  shown.refused = shown.outcome == "aborted" && shown.halt_reason != "stop_requested";

  const auto started = parse_iso8601_utc(run.started_at);
  const auto ended = run.ended_at ? parse_iso8601_utc(*run.ended_at)
                     : shown.shown == "running" ? std::optional<Clock::time_point>(now)
                                                : std::nullopt;
  if (started && ended && *ended >= *started) {
    shown.seconds = std::chrono::duration<double>(*ended - *started).count();
  }

  const auto& health = object_at(summary, "db_health");
  const auto integrity = string_at(health, "integrity_check");
  if (!integrity.empty() && integrity != "skipped") {
    shown.gate_seconds = number_at(health, "integrity_check_seconds");
  } else if (!health.is_object() || health.empty()) {
    // No summary (yet): the history's run_started event has the gate's time.
    if (string_at(run.started, "integrity_check") != "skipped") {
      shown.gate_seconds = number_at(run.started, "integrity_check_seconds");
    }
  }
  if (const auto bytes = number_at(health, "integrity_check_db_bytes")) {
    shown.db_bytes = static_cast<std::uintmax_t>(*bytes);
  } else {
    // Summaries from before the gate recorded the size: the DB at rest.
    const auto& at_rest = array_at(health, "at_rest");
    if (!at_rest.empty() && at_rest.front().is_object()) {
      if (const auto at_rest_bytes = number_at(at_rest.front(), "bytes")) {
        shown.db_bytes = static_cast<std::uintmax_t>(*at_rest_bytes);
      }
    }
  }
  shown.why = why_of(shown, summary);
  return shown;
}

std::vector<ReportProblem> report_problems_of(const std::string& run_id,
                                              const nlohmann::json& summary) {
  std::vector<ReportProblem> problems;
  const auto& health = object_at(summary, "db_health");
  for (const auto& warning : array_at(health, "warnings")) {
    if (warning.is_string()) problems.push_back({run_id, "warning", warning.get<std::string>()});
  }
  for (const auto& check : array_at(health, "db_checks")) {
    if (!check.is_object() || check.value("passed", true)) continue;
    std::string text = "db_check " + string_at(check, "name") + " (" + string_at(check, "when") +
                       ", on_fail " + string_at(check, "on_fail") + ") failed";
    if (const auto found = string_at(check, "found"); !found.empty()) text += ": found " + found;
    if (const auto error = string_at(check, "error"); !error.empty()) text += ": " + error;
    for (const auto& row : array_at(check, "first_rows")) {
      if (row.is_string()) text += "; " + row.get<std::string>();
    }
    problems.push_back({run_id, "db_check", text});
  }
  for (const auto& sent : array_at(summary, "notifications")) {
    if (!sent.is_object()) continue;
    const auto error = string_at(sent, "error");
    const bool timed_out = sent.value("timed_out", false);
    const auto code = number_at(sent, "exit_code");
    std::string text = "alert " + string_at(sent, "event") + ": ";
    if (!error.empty()) {
      text += "the notifier failed: " + error;
    } else if (timed_out) {
      text += "the notifier timed out and was killed";
    } else if (code && *code == 0) {
      text += "sent";
    } else {
      text += code ? fmt::format("the notifier exited with code {}", *code)
                   : "the notifier was killed by " + string_at(sent, "signal");
    }
    problems.push_back({run_id, "alert", text});
  }
  const auto& errors = object_at(summary, "engine_errors");
  if (const auto count = number_at(errors, "count"); count && *count > 0) {
    std::string text = fmt::format("{:.0f} engine error line{}", *count, *count == 1 ? "" : "s");
    const auto& first = array_at(errors, "first");
    if (!first.empty() && first.front().is_string()) text += "; first: " + first.front().get<std::string>();
    problems.push_back({run_id, "engine_errors", text});
  }
  return problems;
}

namespace {

// ---- rendering --------------------------------------------------------------

constexpr double kChartWidth = 1000;
constexpr double kLeft = 56, kRight = 64, kTop = 14, kBottom = 26;

double x_of(std::size_t index, std::size_t count) {
  const double slot = (kChartWidth - kLeft - kRight) / static_cast<double>(std::max<std::size_t>(count, 1));
  return kLeft + slot * (static_cast<double>(index) + 0.5);
}

std::string run_title(const ReportRun& run) {
  std::string title = run.run_id + " · " + run.shown;
  if (!run.halt_reason.empty()) title += " (" + run.halt_reason + ")";
  title += " · started " + run.started_at;
  if (run.seconds) title += " · lasted " + describe_seconds(*run.seconds);
  if (!run.why.empty()) title += " · " + run.why;
  return title;
}

std::string date_label(const std::string& at) { return at.substr(0, std::min<std::size_t>(at.size(), 16)); }

std::string timeline_svg(const std::vector<ReportRun>& runs) {
  if (runs.empty()) return "<p class=\"empty\">No run is recorded yet.</p>";
  constexpr double kHeight = 200;
  const double plot = kHeight - kTop - kBottom;
  double longest = 1;
  for (const auto& run : runs) longest = std::max(longest, run.seconds.value_or(0));
  const double scale = std::log10(1 + longest);
  const double slot = (kChartWidth - kLeft - kRight) / static_cast<double>(runs.size());
  const double width = std::clamp(slot * 0.7, 1.5, 24.0);
  std::string svg = fmt::format(
      "<svg class=\"timeline\" viewBox=\"0 0 {0} {1}\" width=\"{0}\" height=\"{1}\" role=\"img\" "
      "aria-label=\"runs, oldest to newest\">\n",
      kChartWidth, kHeight);
  const double base = kTop + plot;
  svg += fmt::format("<line class=\"axis\" x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"/>\n", kLeft, base,
                     kChartWidth - kRight, base);
  svg += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>\n", kLeft - 6, kTop + 8,
                     esc(describe_seconds(longest)));
  svg += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"end\">0 s</text>\n", kLeft - 6, base);
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const auto& run = runs[i];
    // A run with no known length still gets a mark: a stub, so it is counted.
    const double height =
        run.seconds ? 4 + (plot - 4) * std::log10(1 + *run.seconds) / scale : 4;
    svg += fmt::format(
        "<rect class=\"run-mark outcome-{}\" data-run-id=\"{}\" data-outcome=\"{}\" "
        "data-halt-reason=\"{}\" x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" "
        "rx=\"1\"><title>{}</title></rect>\n",
        run.shown, esc(run.run_id), esc(run.outcome), esc(run.halt_reason),
        x_of(i, runs.size()) - width / 2, base - height, width, height, esc(run_title(run)));
  }
  svg += fmt::format("<text x=\"{}\" y=\"{}\">{}</text>\n", kLeft, kHeight - 6,
                     esc(date_label(runs.front().started_at)));
  svg += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>\n", kChartWidth - kRight,
                     kHeight - 6, esc(date_label(runs.back().started_at)));
  return svg + "</svg>";
}

std::string gate_chart_svg(const std::vector<ReportRun>& runs) {
  double most_seconds = 0, most_bytes = 0;
  std::size_t points = 0;
  for (const auto& run : runs) {
    if (!run.gate_seconds) continue;
    ++points;
    most_seconds = std::max(most_seconds, *run.gate_seconds);
    most_bytes = std::max(most_bytes, static_cast<double>(run.db_bytes.value_or(0)));
  }
  if (points == 0) return "<p class=\"empty\">No run shown checked the DB.</p>";
  most_seconds = std::max(most_seconds, 0.001);
  most_bytes = std::max(most_bytes, 1.0);
  constexpr double kHeight = 220;
  const double plot = kHeight - kTop - kBottom;
  const double base = kTop + plot;
  std::string svg = fmt::format(
      "<svg class=\"gate-chart\" viewBox=\"0 0 {0} {1}\" width=\"{0}\" height=\"{1}\" role=\"img\" "
      "aria-label=\"the gate's seconds and the DB's size, run by run\">\n",
      kChartWidth, kHeight);
  svg += fmt::format("<line class=\"axis\" x1=\"{0}\" y1=\"{1}\" x2=\"{2}\" y2=\"{1}\"/>\n", kLeft,
                     base, kChartWidth - kRight);
  svg += fmt::format("<line class=\"axis\" x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\"/>\n", kLeft,
                     kTop, base);
  svg += fmt::format("<line class=\"axis\" x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\"/>\n",
                     kChartWidth - kRight, kTop, base);
  svg += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>\n", kLeft - 6, kTop + 8,
                     esc(describe_seconds(most_seconds)));
  svg += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"end\">0 s</text>\n", kLeft - 6, base);
  svg += fmt::format("<text x=\"{}\" y=\"{}\">{}</text>\n", kChartWidth - kRight + 6, kTop + 8,
                     esc(describe_bytes(most_bytes)));
  svg += fmt::format("<text x=\"{}\" y=\"{}\">0</text>\n", kChartWidth - kRight + 6, base);
  std::string gate_line, size_line, marks;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const auto& run = runs[i];
    if (!run.gate_seconds) continue;
    const double x = x_of(i, runs.size());
    const double y_gate = base - plot * (*run.gate_seconds / most_seconds);
    gate_line += fmt::format("{:.1f},{:.1f} ", x, y_gate);
    marks += fmt::format(
        "<circle class=\"gate-point\" data-run-id=\"{}\" cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"3\">"
        "<title>{}: gate {}</title></circle>\n",
        esc(run.run_id), x, y_gate, esc(run.run_id), esc(describe_seconds(*run.gate_seconds)));
    if (run.db_bytes) {
      const double y_size = base - plot * (static_cast<double>(*run.db_bytes) / most_bytes);
      size_line += fmt::format("{:.1f},{:.1f} ", x, y_size);
      marks += fmt::format(
          "<rect class=\"size-point\" x=\"{:.1f}\" y=\"{:.1f}\" width=\"5\" height=\"5\">"
          "<title>{}: DB {}</title></rect>\n",
          x - 2.5, y_size - 2.5, esc(run.run_id), esc(describe_bytes(static_cast<double>(*run.db_bytes))));
    }
  }
  if (!size_line.empty()) svg += "<polyline class=\"size-line\" points=\"" + size_line + "\"/>\n";
  svg += "<polyline class=\"gate-line\" points=\"" + gate_line + "\"/>\n";
  return svg + marks + "</svg>";
}

std::string outcome_tag(const ReportRun& run) {
  const std::string label = run.refused ? "refused" : run.shown;
  return "<span class=\"tag outcome-" + run.shown + "\">" + esc(label) + "</span>";
}

std::string counts_html(const HealthReport& report) {
  std::map<std::string, int> counts;
  int refused = 0;
  for (const auto& run : report.runs) {
    ++counts[run.shown];
    refused += run.refused ? 1 : 0;
  }
  std::string html;
  for (const auto* shown : {"clean", "unclean", "aborted", "lost", "running"}) {
    if (counts[shown] == 0 && std::string_view(shown) != "clean" && std::string_view(shown) != "unclean") {
      continue;
    }
    const std::string label = std::string_view(shown) == "aborted"
                                  ? fmt::format("aborted ({} refused)", refused)
                                  : std::string(shown);
    html += fmt::format("<div class=\"count {}\" data-count=\"{}\"><b>{}</b>{}</div>", shown,
                        counts[shown], counts[shown], esc(label));
  }
  html += fmt::format("<div class=\"count\" data-count=\"backups\"><b>{}</b>backups</div>",
                      report.backups.size());
  return html;
}

// Newest first, and at most kMaxProblemRows of them: a warning repeated in
// every one of 100 runs would bury the rest.
constexpr std::size_t kMaxProblemRows = 200;

std::string problems_html(const std::vector<ReportProblem>& problems) {
  if (problems.empty()) return "<p class=\"empty\">None in the runs shown.</p>";
  std::string html = "<table class=\"problems\">\n<tr><th>run</th><th>kind</th><th>what</th></tr>\n";
  std::size_t shown = 0;
  for (auto problem = problems.rbegin(); problem != problems.rend() && shown < kMaxProblemRows;
       ++problem, ++shown) {
    html += fmt::format(
        "<tr class=\"problem {}\"><td class=\"id\">{}</td><td>{}</td><td class=\"text\">{}</td></tr>\n",
        esc(problem->kind), esc(problem->run_id), esc(problem->kind), esc(problem->text));
  }
  html += "</table>";
  if (problems.size() > shown) {
    html += fmt::format("<p class=\"empty\">{} older ones are not shown: see the runs' session "
                        "summaries.</p>",
                        problems.size() - shown);
  }
  return html;
}

std::string lost_and_refused_html(const std::vector<ReportRun>& runs) {
  std::string rows;
  for (const auto& run : runs) {
    if (run.shown != "lost" && !run.refused) continue;
    rows += fmt::format(
        "<tr class=\"cut-run\" data-run-id=\"{}\"><td class=\"id\">{}</td><td>{}</td><td>{}</td><td>{}</td>"
        "<td class=\"text\">{}</td></tr>\n",
        esc(run.run_id), esc(run.run_id), esc(run.started_at), outcome_tag(run),
        esc(run.halt_reason), esc(run.why));
  }
  if (rows.empty()) return "<p class=\"empty\">None in the runs shown.</p>";
  return "<table class=\"lost-and-refused\">\n<tr><th>run</th><th>started (UTC)</th><th>outcome</th>"
         "<th>halt reason</th><th>why</th></tr>\n" +
         rows + "</table>";
}

std::string backups_html(const std::vector<ReportBackup>& backups) {
  if (backups.empty()) return "<p class=\"empty\">No backup of this DB.</p>";
  std::string html =
      "<table class=\"backups\">\n<tr><th>kind</th><th>file</th><th>taken (UTC)</th><th>age</th>"
      "<th>size</th><th>verified</th></tr>\n";
  for (const auto& backup : backups) {
    html += fmt::format(
        "<tr class=\"backup\"><td>{}</td><td class=\"text\">{}</td><td>{}</td><td class=\"num\">{}</td>"
        "<td class=\"num\">{}</td><td>{}</td></tr>\n",
        esc(backup.kind), esc(backup.file), esc(backup.taken_at),
        backup.age_seconds ? esc(describe_seconds(std::max(0.0, *backup.age_seconds))) : "?",
        esc(describe_bytes(static_cast<double>(backup.bytes))),
        backup.verified ? "<span class=\"tag ok\">verified</span>"
                        : "<span class=\"tag broken\">BROKEN</span> " + esc(backup.check));
  }
  return html + "</table>";
}

std::string runs_html(const std::vector<ReportRun>& runs) {
  if (runs.empty()) return "<p class=\"empty\">No run is recorded yet.</p>";
  std::string html =
      "<table class=\"runs\">\n<tr><th>run</th><th>started (UTC)</th><th>duration</th><th>outcome</th>"
      "<th>halt reason</th><th>gate</th><th>DB size</th></tr>\n";
  for (auto run = runs.rbegin(); run != runs.rend(); ++run) {
    html += fmt::format(
        "<tr><td class=\"id\">{}</td><td>{}</td><td class=\"num\">{}</td><td>{}</td><td>{}</td>"
        "<td class=\"num\">{}</td><td class=\"num\">{}</td></tr>\n",
        esc(run->run_id), esc(run->started_at), run->seconds ? esc(describe_seconds(*run->seconds)) : "-",
        outcome_tag(*run), esc(run->halt_reason),
        run->gate_seconds ? esc(describe_seconds(*run->gate_seconds)) : "-",
        run->db_bytes ? esc(describe_bytes(static_cast<double>(*run->db_bytes))) : "-");
  }
  return html + "</table>";
}

// Replaces each {{name}} in `page` by its slot; a name with no slot stays,
// so a template edit that outruns the code shows on the page (and in tests).
std::string fill_slots(std::string_view page, const std::map<std::string, std::string>& slots) {
  std::string out;
  out.reserve(page.size() * 2);
  std::size_t at = 0;
  while (true) {
    const auto open = page.find("{{", at);
    const auto close = open == std::string_view::npos ? open : page.find("}}", open + 2);
    if (close == std::string_view::npos) break;
    const auto slot = slots.find(std::string(page.substr(open + 2, close - open - 2)));
    out.append(page.substr(at, open - at));
    out += slot != slots.end() ? slot->second : std::string(page.substr(open, close + 2 - open));
    at = close + 2;
  }
  out.append(page.substr(at));
  return out;
}

}  // namespace

std::string_view health_report_template() { return kHealthReportTemplate; }

std::string render_health_report(const HealthReport& report) {
  const auto slash = report.db_path.find_last_of("/\\");
  const std::string db_name = slash == std::string::npos ? report.db_path : report.db_path.substr(slash + 1);
  return fill_slots(health_report_template(),
                    {{"version", esc(report.version)},
                     {"db_name", esc(db_name)},
                     {"db_path", esc(report.db_path)},
                     {"generated_at", esc(report.generated_at)},
                     {"runs_shown", std::to_string(report.runs.size())},
                     {"runs_total", std::to_string(report.runs_total)},
                     {"counts", counts_html(report)},
                     {"timeline", timeline_svg(report.runs)},
                     {"gate_chart", gate_chart_svg(report.runs)},
                     {"problems", problems_html(report.problems)},
                     {"lost_and_refused", lost_and_refused_html(report.runs)},
                     {"backup_dir", esc(report.backup_dir)},
                     {"backups", backups_html(report.backups)},
                     {"runs", runs_html(report.runs)},
                     {"history_file", esc(report.history_file)}});
}

}  // namespace es
