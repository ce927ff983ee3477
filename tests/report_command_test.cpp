// Issue 12.5: `engine-supervisor report` over real runs (clean, unclean,
// lost, refused), loaded in a real browser: Debian's chromium, headless,
// dumps the DOM it rendered and takes a screenshot. Where chromium is not
// installed the browser half is skipped by name.

#include <signal.h>
#include <sys/stat.h>

#include <doctest/doctest.h>

#include <fstream>
#include <regex>

#include "common/health_report.hpp"
#include "support/run_fixture.hpp"
#include "support/test_db.hpp"

using namespace es;
namespace fs = std::filesystem;

namespace {

constexpr const char* kChromium = "/usr/bin/chromium";

test::CommandResult report(const test::RunFixture& f, std::vector<std::string> args) {
  std::vector<std::string> argv{test::supervisor_binary(), "report", "--config", f.config().string()};
  argv.insert(argv.end(), args.begin(), args.end());
  return test::run_command(argv, f.dir.path());
}

nlohmann::json runs_of(const test::RunFixture& f) {
  return nlohmann::json::parse(
      test::run_command({test::supervisor_binary(), "history", "--json", "--limit", "1000", "--config",
                         f.config().string()})
          .out);
}

// What a browser made of the page: `chromium --dump-dom`, bounded in time.
test::CommandResult chromium(const fs::path& profile, const std::vector<std::string>& args) {
  std::vector<std::string> argv{"/usr/bin/timeout", "120", kChromium, "--headless", "--no-sandbox",
                                "--disable-gpu", "--user-data-dir=" + profile.string()};
  argv.insert(argv.end(), args.begin(), args.end());
  return test::run_command(argv);
}

struct Mark {
  std::string classes, run_id;
};

// The run marks in the DOM as the browser serialised it, whatever the order
// of their attributes.
std::vector<Mark> marks_in(const std::string& dom) {
  std::vector<Mark> marks;
  const std::regex rect(R"re(<rect\b[^>]*>)re");
  const std::regex klass(R"re(\bclass="([^"]*)")re"), id(R"re(\bdata-run-id="([^"]*)")re");
  for (auto it = std::sregex_iterator(dom.begin(), dom.end(), rect); it != std::sregex_iterator(); ++it) {
    const std::string tag = (*it)[0];
    std::smatch c, i;
    if (!std::regex_search(tag, c, klass) || c[1].str().find("run-mark") == std::string::npos) continue;
    std::regex_search(tag, i, id);
    marks.push_back({c[1], i.size() > 1 ? i[1].str() : ""});
  }
  return marks;
}

// Four runs, one of each kind the report tells apart.
void make_history(test::RunFixture& f) {
  f.configure({"--seconds", "0.3"});
  REQUIRE(f.run().exit_code == 0);
  f.configure({"--seconds", "0.3", "--exit-code", "3", "--stderr-line", "ERROR the close-session write failed"});
  REQUIRE(f.run().exit_code == 1);
  // Lost: the supervisor killed with SIGKILL mid-run.
  f.configure({"--seconds", "60"});
  fs::remove(f.marker());
  {
    test::ChildProcess run(f.run_argv(), test::ChildProcess::Options{f.dir.path()});
    REQUIRE(test::wait_until([&] { return fs::exists(f.marker()); }, 20));
    run.send(SIGKILL);
    run.wait();
  }
  fs::remove(f.marker());
  // The next run records it; this one is refused by an invariant.
  f.configure({"--seconds", "0.3"}, 10, "",
              "db_checks:\n  - name: never_true\n    sql: SELECT 1\n    expect: no_rows\n"
              "    when: startup\n    on_fail: refuse\n");
  REQUIRE(f.run().exit_code == 65);
}

}  // namespace

TEST_CASE("issue 12.5: report draws every run of the history, and chromium renders one mark per run, the unclean one marked") {
  test::RunFixture f;
  make_history(f);
  const auto history = runs_of(f);
  INFO(history.dump(1));
  REQUIRE(history.size() == 4);  // newest first: refused, lost, unclean, clean
  CHECK(history[1]["halt_reason"] == "supervisor_lost");
  const std::string unclean_id = history[2]["run_id"];
  const std::string lost_id = history[1]["run_id"];
  const std::string refused_id = history[0]["run_id"];

  fs::create_directory(f.dir / "out");
  const auto before = test::folder_contents(f.dir.path());
  const auto page_file = f.dir / "out" / "report.html";
  const auto made = report(f, {"--output", page_file.string()});
  INFO(made.err);
  REQUIRE(made.exit_code == 0);
  CHECK(made.out == page_file.string() + "\n");
  // It wrote the page and nothing else.
  CHECK(test::folder_contents(f.dir.path()) == before);
  CHECK(test::folder_contents(f.dir / "out").size() == 1);

  const auto page = test::read_file(page_file);
  CHECK(page.find("the last 4 of 4 runs") != std::string::npos);
  CHECK(page.find("ERROR the close-session write failed") != std::string::npos);
  CHECK(page.find("db_check never_true") != std::string::npos);
  CHECK(page.find("<tr class=\"backup\">") != std::string::npos);
  CHECK(page.find("class=\"gate-point\"") != std::string::npos);

  if (!fs::exists(kChromium)) {
    MESSAGE("SKIPPED: chromium is not installed (" << kChromium << "); scripts/install-deps.sh installs it");
    return;
  }
  const auto dom = chromium(f.dir / "profile", {"--dump-dom", "file://" + page_file.string()});
  INFO(dom.err.substr(0, 2000));
  REQUIRE(dom.exit_code == 0);
  CHECK(dom.out.find("</html>") != std::string::npos);
  const auto marks = marks_in(dom.out);
  REQUIRE(marks.size() == history.size());
  std::map<std::string, std::string> class_of;
  for (const auto& mark : marks) class_of[mark.run_id] = mark.classes;
  CHECK(class_of[unclean_id] == "run-mark outcome-unclean");
  CHECK(class_of[lost_id] == "run-mark outcome-lost");
  CHECK(class_of[refused_id] == "run-mark outcome-aborted");
  CHECK(marks.front().classes == "run-mark outcome-clean");  // oldest first

  // The screenshot: a real PNG of the rendered page.
  const auto shot = f.dir / "report.png";
  const auto taken = chromium(f.dir / "profile", {"--window-size=1100,1400", "--hide-scrollbars",
                                                  "--screenshot=" + shot.string(),
                                                  "file://" + page_file.string()});
  INFO(taken.err.substr(0, 2000));
  REQUIRE(taken.exit_code == 0);
  REQUIRE(fs::exists(shot));
  CHECK(test::read_file(shot).substr(0, 8) == std::string("\x89PNG\r\n\x1a\n", 8));
  CHECK(fs::file_size(shot) > 20000);  // a page, not a blank
}

TEST_CASE("issue 12.5: report --runs N shows the newest N; the default place is summary.dir/report.html") {
  test::RunFixture f;
  f.configure_command({"true"});
  for (int i = 0; i < 3; ++i) REQUIRE(f.run().exit_code == 0);
  const auto made = report(f, {"--runs", "2"});
  INFO(made.err);
  REQUIRE(made.exit_code == 0);
  const auto page_file = f.dir / "logs" / "report.html";
  CHECK(made.out == page_file.string() + "\n");
  const auto page = test::read_file(page_file);
  CHECK(page.find("the last 2 of 3 runs") != std::string::npos);
  const auto history = runs_of(f);
  std::size_t marks = 0;
  for (auto at = page.find("class=\"run-mark "); at != std::string::npos;
       at = page.find("class=\"run-mark ", at + 1)) {
    ++marks;
  }
  CHECK(marks == 2);
  CHECK(page.find(history[2]["run_id"].get<std::string>()) == std::string::npos);  // the oldest
  CHECK(page.find(history[0]["run_id"].get<std::string>()) != std::string::npos);
  // Regenerated in place: an earlier report is replaced.
  REQUIRE(report(f, {}).exit_code == 0);
  CHECK(test::read_file(page_file).find("the last 3 of 3 runs") != std::string::npos);
  CHECK(report(f, {"--runs", "0"}).exit_code == 64);
}

TEST_CASE("issue 12.5: report never writes over the DB, the supervisor's files or a file it did not write") {
  test::RunFixture f;
  f.configure_command({"true"});
  REQUIRE(f.run().exit_code == 0);
  const auto before = test::folder_contents(f.dir.path());
  const auto refused = [&](const fs::path& output, int code, const std::string& says) {
    const auto made = report(f, {"--output", output.string()});
    CHECK(made.exit_code == code);
    CHECK(made.err.find(says) != std::string::npos);
    CHECK(made.err.find(output.filename().string()) != std::string::npos);
    CHECK(test::folder_contents(f.dir.path()) == before);
  };
  refused(f.db(), 64, "is never written there");
  refused(f.dir / "live.db-wal", 64, "is never written there");
  refused(f.dir / "live.db.supervisor-history.jsonl", 64, "is never written there");
  refused(f.dir / "sub" / ".." / "live.db", 64, "is never written there");
  refused(f.dir / "live.db.bak.20260101T000000Z", 64, "backup's name");

  // The operator's own file keeps its bytes.
  test::write_file(f.dir / "notes.html", "<html>mine</html>");
  const auto with_notes = test::folder_contents(f.dir.path());
  const auto notes = report(f, {"--output", (f.dir / "notes.html").string()});
  CHECK(notes.exit_code == 74);
  CHECK(notes.err.find("is not a report engine-supervisor wrote") != std::string::npos);
  CHECK(test::folder_contents(f.dir.path()) == with_notes);

  // A FIFO as the output, or in place of a summary, never blocks it.
  fs::remove(f.dir / "notes.html");
  REQUIRE(mkfifo((f.dir / "pipe.html").c_str(), 0600) == 0);
  CHECK(report(f, {"--output", (f.dir / "pipe.html").string()}).exit_code == 74);
  const auto summary_file = f.dir / "logs" / ("session-" + f.latest_summary()["run_id"].get<std::string>() + ".json");
  REQUIRE(fs::exists(summary_file));
  fs::remove(summary_file);
  REQUIRE(mkfifo(summary_file.c_str(), 0600) == 0);
  const auto made = report(f, {"--output", (f.dir / "r.html").string()});
  INFO(made.err);
  CHECK(made.exit_code == 0);
  CHECK(test::read_file(f.dir / "r.html").find("class=\"run-mark outcome-clean\"") != std::string::npos);
}

TEST_CASE("issue 12.5: the page compiled in is common/health_report.html as it is in the repository") {
  CHECK(std::string(health_report_template()) ==
        test::read_file(fs::path(ES_SOURCE_DIR) / "common" / "health_report.html"));
}
