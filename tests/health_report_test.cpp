// Issue 12.5: the health report's figures, gathered from a run's summary,
// and its page: one self-contained HTML file, with everything from outside
// escaped. The real runs and the real browser are in report_command_test.

#include <doctest/doctest.h>

#include <regex>

#include "common/health_report.hpp"

using namespace es;

namespace {

RunRecord record(const std::string& id, const std::string& outcome, const std::string& halt,
                 std::optional<std::string> ended = "2026-12-01T10:05:00Z") {
  RunRecord run;
  run.run_id = id;
  run.started_at = "2026-12-01T10:00:00Z";
  run.ended_at = std::move(ended);
  run.outcome = outcome;
  run.halt_reason = halt;
  return run;
}

std::size_t count_of(const std::string& text, const std::string& what) {
  std::size_t count = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++count;
  return count;
}

// Each SVG rect that marks a run: its class and its run id.
std::vector<std::pair<std::string, std::string>> run_marks(const std::string& page) {
  std::vector<std::pair<std::string, std::string>> marks;
  const std::regex rect(R"re(<rect class="run-mark ([^"]*)" data-run-id="([^"]*)")re");
  for (auto it = std::sregex_iterator(page.begin(), page.end(), rect); it != std::sregex_iterator(); ++it) {
    marks.emplace_back((*it)[1], (*it)[2]);
  }
  return marks;
}

}  // namespace

TEST_CASE("issue 12.5: a run's figures come from its summary: outcome, duration, the gate and the DB's size") {
  const auto now = Clock::now();
  const nlohmann::json summary = {
      {"db_health",
       {{"integrity_check", "ok"},
        {"integrity_check_seconds", 1.25},
        {"integrity_check_db_bytes", 4096000},
        {"at_rest", {{{"file", "live.db"}, {"bytes", 5000000}}}},
        {"warnings", {"post-session backup failed: disk full"}}}}};
  const auto run = report_run_of(record("r1", "unclean", "exit_code:3"), summary, false, now);
  CHECK(run.shown == "unclean");
  CHECK_FALSE(run.refused);
  REQUIRE(run.seconds);
  CHECK(*run.seconds == doctest::Approx(300));
  REQUIRE(run.gate_seconds);
  CHECK(*run.gate_seconds == doctest::Approx(1.25));
  CHECK(run.db_bytes == std::optional<std::uintmax_t>(4096000));  // the gate's, not the end's
  CHECK(run.why == "post-session backup failed: disk full");

  // A summary from before the gate's size was recorded: the DB at rest.
  auto older = summary;
  older["db_health"].erase("integrity_check_db_bytes");
  CHECK(report_run_of(record("r1", "clean", "engine_exit"), older, false, now).db_bytes ==
        std::optional<std::uintmax_t>(5000000));

  // A gate that did not run has no point on the chart.
  auto skipped = summary;
  skipped["db_health"]["integrity_check"] = "skipped";
  CHECK_FALSE(report_run_of(record("r1", "clean", "engine_exit"), skipped, false, now).gate_seconds);
}

TEST_CASE("issue 12.5: lost and refused runs are told apart from unclean and stopped ones, with why") {
  const auto now = Clock::now();
  // Never finished, and its supervisor is gone: lost, not running.
  auto open = record("r2", "running", "", std::nullopt);
  const auto lost = report_run_of(open, nlohmann::json::object(), true, now);
  CHECK(lost.shown == "lost");
  CHECK(lost.outcome == "unclean");
  CHECK(lost.halt_reason == "supervisor_lost");
  CHECK(lost.why.find("supervisor died") != std::string::npos);
  // Recorded as lost by the next start.
  CHECK(report_run_of(record("r2", "unclean", "supervisor_lost"), {}, false, now).shown == "lost");
  // Still running: its duration runs to now.
  open.started_at = iso8601_utc(now - std::chrono::seconds(90));
  const auto running = report_run_of(open, nlohmann::json::object(), false, now);
  CHECK(running.shown == "running");
  REQUIRE(running.seconds);
  CHECK(*running.seconds == doctest::Approx(90).epsilon(0.05));

  const nlohmann::json refused_summary = {
      {"db_health",
       {{"integrity_check", "ok"},
        {"db_checks",
         {{{"name", "sessions_closed"}, {"when", "startup"}, {"on_fail", "refuse"}, {"passed", false},
           {"found", "2 rows"}, {"first_rows", {"7|run-7"}}, {"error", nullptr}}}}}}};
  const auto refused = report_run_of(record("r3", "aborted", "db_check_failed:sessions_closed"),
                                     refused_summary, false, now);
  CHECK(refused.refused);
  CHECK(refused.why == "db_check sessions_closed failed: found 2 rows");
  const auto malformed = report_run_of(
      record("r4", "aborted", "integrity_failed"),
      {{"db_health", {{"integrity_check", "Page 228: btreeInitPage() returns error code 11"}}}}, false, now);
  CHECK(malformed.why == "integrity check: Page 228: btreeInitPage() returns error code 11");
  // Stopped before the engine started: aborted, not refused.
  CHECK_FALSE(report_run_of(record("r5", "aborted", "stop_requested"), {}, false, now).refused);
}

TEST_CASE("issue 12.5: the problems of a run: warnings, failed db_checks, alerts and engine error lines") {
  const nlohmann::json summary = {
      {"db_health",
       {{"warnings", {"the DB changed between sessions"}},
        {"db_checks",
         {{{"name", "ok_check"}, {"when", "startup"}, {"on_fail", "warn"}, {"passed", true}},
          {{"name", "fills_balance"}, {"when", "post_session"}, {"on_fail", "warn"}, {"passed", false},
           {"found", "-3"}, {"first_rows", {"-3"}}, {"error", nullptr}}}}}},
      {"notifications",
       {{{"event", "unclean"}, {"exit_code", 0}, {"signal", nullptr}, {"timed_out", false}, {"error", nullptr}},
        {{"event", "warning"}, {"exit_code", nullptr}, {"signal", "SIGKILL"}, {"timed_out", true}, {"error", nullptr}}}},
      {"engine_errors", {{"count", 4}, {"first", {"Traceback (most recent call last):"}}}}};
  const auto problems = report_problems_of("r1", summary);
  REQUIRE(problems.size() == 5);
  CHECK(problems[0].kind == "warning");
  CHECK(problems[1].kind == "db_check");
  CHECK(problems[1].text.find("db_check fills_balance (post_session, on_fail warn) failed: found -3") == 0);
  CHECK(problems[2].text == "alert unclean: sent");
  CHECK(problems[3].text == "alert warning: the notifier timed out and was killed");
  CHECK(problems[4].kind == "engine_errors");
  CHECK(problems[4].text == "4 engine error lines; first: Traceback (most recent call last):");
  for (const auto& problem : problems) CHECK(problem.run_id == "r1");
}

TEST_CASE("issue 12.5: the page has one mark per run, coloured by outcome, and nothing from elsewhere") {
  const auto now = Clock::now();
  HealthReport report;
  report.db_path = "/srv/neo/\xff live<1>.db";
  report.backup_dir = "/srv/neo/backups";
  report.history_file = "/srv/neo/live.db.supervisor-history.jsonl";
  report.generated_at = "2026-12-01T12:00:00Z";
  report.version = "0.1.0";
  report.runs_total = 4;
  report.runs = {report_run_of(record("clean-1", "clean", "engine_exit"), {}, false, now),
                 report_run_of(record("unclean-2", "unclean", "signal:SIGKILL"), {}, false, now),
                 report_run_of(record("lost-3", "running", "", std::nullopt), {}, true, now),
                 report_run_of(record("<script>alert(1)</script>", "aborted", "wal_lost"), {}, false, now)};
  report.problems = {{"unclean-2", "warning", "a \"quoted\" <b>warning</b> & more"}};
  report.backups = {{"live.db.bak.20261201T100000Z", "bak", "2026-12-01T10:00:00Z", 7200.0, 1 << 20, true, "ok"},
                    {"live.db.post.20261201T090000Z", "post", "2026-12-01T09:00:00Z", std::nullopt, 4096,
                     false, "file is not a database"}};
  const auto page = render_health_report(report);

  const auto marks = run_marks(page);
  REQUIRE(marks.size() == 4);
  CHECK(marks[0] == std::pair<std::string, std::string>{"outcome-clean", "clean-1"});
  CHECK(marks[1] == std::pair<std::string, std::string>{"outcome-unclean", "unclean-2"});
  CHECK(marks[2] == std::pair<std::string, std::string>{"outcome-lost", "lost-3"});
  CHECK(marks[3].first == "outcome-aborted");
  CHECK(marks[3].second == "&lt;script&gt;alert(1)&lt;/script&gt;");

  CHECK(page.rfind("<!DOCTYPE html>", 0) == 0);
  CHECK(page.find(kHealthReportMarker) < 200);
  CHECK(page.find("{{") == std::string::npos);  // every slot filled
  // Nothing that loads or runs anything: no script, no link, no address.
  CHECK(page.find("<script") == std::string::npos);
  CHECK(page.find("http://") == std::string::npos);
  CHECK(page.find("https://") == std::string::npos);
  CHECK(page.find(" src=") == std::string::npos);
  CHECK(page.find("<link") == std::string::npos);
  CHECK(page.find("@import") == std::string::npos);
  CHECK(page.find("url(") == std::string::npos);
  // The byte that is not UTF-8 became U+FFFD; the rest was escaped.
  CHECK(page.find('\xff') == std::string::npos);
  CHECK(page.find("/srv/neo/\xEF\xBF\xBD live&lt;1&gt;.db") != std::string::npos);
  CHECK(page.find("a &quot;quoted&quot; &lt;b&gt;warning&lt;/b&gt; &amp; more") != std::string::npos);
  CHECK(count_of(page, "class=\"cut-run\"") == 2);  // the lost run and the refused one
  CHECK(count_of(page, "<tr class=\"backup\">") == 2);
  CHECK(page.find("BROKEN</span> file is not a database") != std::string::npos);
  CHECK(page.find("the last 4 of 4 runs") != std::string::npos);
}

TEST_CASE("issue 12.5: an empty history still makes a whole page") {
  HealthReport report;
  report.db_path = "live.db";
  const auto page = render_health_report(report);
  CHECK(run_marks(page).empty());
  CHECK(page.find("No run is recorded yet.") != std::string::npos);
  CHECK(page.find("No backup of this DB.") != std::string::npos);
  CHECK(page.find("{{") == std::string::npos);
  CHECK(page.find("</html>") != std::string::npos);
}
