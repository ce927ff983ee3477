// Issue 11.15: the logs are private whatever the umask, older sessions'
// files are pruned (logging.keep_sessions), and one session's log is capped
// (logging.max_session_log_mb) with its head and newest lines kept.

#include <sys/stat.h>

#include <doctest/doctest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "support/run_fixture.hpp"
#include "support/test_db.hpp"

using namespace es;
namespace fs = std::filesystem;

namespace {

unsigned mode_of(const fs::path& path) {
  struct stat status {};
  REQUIRE(::stat(path.c_str(), &status) == 0);
  return status.st_mode & 07777;
}

std::vector<fs::path> files_named(const fs::path& folder, const std::string& prefix,
                                  const std::string& ending) {
  std::vector<fs::path> found;
  for (const auto& entry : fs::directory_iterator(folder)) {
    const auto name = entry.path().filename().string();
    if (name.starts_with(prefix) && name.ends_with(ending)) found.push_back(entry.path());
  }
  return found;
}

}  // namespace

TEST_CASE("issue 11.15: under umask 000 the logs folder is 0700 and every log and summary 0600") {
  test::RunFixture f;
  f.configure_command({"/bin/sh", "-c", "echo the engine secret output"});
  auto argv = f.run_argv();
  argv.insert(argv.begin(), {"/bin/sh", "-c", "umask 000; exec \"$0\" \"$@\""});
  const auto result = test::run_command(argv, f.dir.path());
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  const auto logs = f.dir / "logs";
  CHECK(mode_of(logs) == 0700);
  CHECK(mode_of(logs / "engine-supervisor.log") == 0600);
  CHECK(mode_of(logs / "latest.json") == 0600);
  const auto session_logs = files_named(logs, "session-", ".log");
  REQUIRE(session_logs.size() == 1);
  CHECK(mode_of(session_logs[0]) == 0600);
  CHECK(test::read_file(session_logs[0]).find("the engine secret output") != std::string::npos);
  for (const auto& summary : files_named(logs, "session-", ".json")) CHECK(mode_of(summary) == 0600);
  CHECK(mode_of(f.db().string() + ".supervisor-history.jsonl") == 0600);
}

TEST_CASE("issue 11.15: logging.keep_sessions keeps the newest runs' logs, summaries and history, and nothing else is touched") {
  test::RunFixture f;
  f.configure_command({"true"}, 10, "", "");
  // keep_sessions: 2, in the logging section the fixture writes.
  auto text = test::read_file(f.config());
  text.replace(text.find("logging:\n  dir: logs\n"), std::string("logging:\n  dir: logs\n").size(),
               "logging:\n  dir: logs\n  keep_sessions: 2\n");
  test::write_file(f.config(), text);
  const auto logs = f.dir / "logs";
  fs::create_directories(logs);
  // An old session of ours, and files that only look like one.
  test::write_file(logs / "session-20200101T000000Z-1.log", "an old session");
  test::write_file(logs / "session-20200101T000000Z-1.json", "{}");
  test::write_file(logs / "session-notes.txt", "the operator's");
  test::write_file(logs / "session-20200101T000000Z-1.log.bak", "the operator's copy");
  fs::create_directory(logs / "session-20200101T000000Z-2.log");  // a folder
  for (int run = 0; run < 4; ++run) {
    const auto result = f.run();
    INFO(result.err);
    REQUIRE(result.exit_code == 0);
  }
  CHECK(files_named(logs, "session-2026", ".log").size() + files_named(logs, "session-2027", ".log").size() == 2);
  CHECK(files_named(logs, "session-20", ".json").size() == 2);
  CHECK_FALSE(fs::exists(logs / "session-20200101T000000Z-1.log"));
  CHECK_FALSE(fs::exists(logs / "session-20200101T000000Z-1.json"));
  CHECK(test::read_file(logs / "session-notes.txt") == "the operator's");
  CHECK(test::read_file(logs / "session-20200101T000000Z-1.log.bak") == "the operator's copy");
  CHECK(fs::is_directory(logs / "session-20200101T000000Z-2.log"));
  CHECK(fs::exists(logs / "latest.json"));
  CHECK(fs::exists(logs / "engine-supervisor.log"));
  // The history holds the newest 2 runs, and the latest summary's run is one.
  std::ifstream history(f.db().string() + ".supervisor-history.jsonl");
  std::set<std::string> runs;
  for (std::string line; std::getline(history, line);) {
    const auto event = nlohmann::json::parse(line);
    if (event["event"] == "run_started") runs.insert(event["run_id"].get<std::string>());
  }
  CHECK(runs.size() == 2);
  CHECK(runs.count(f.latest_summary()["run_id"].get<std::string>()) == 1);
  // What the next run needs from the history is still there.
  const auto next = f.run();
  CHECK(next.exit_code == 0);
  CHECK(f.latest_summary()["db_health"]["continuity"] == "ok");
}

TEST_CASE("issue 11.15: past logging.max_session_log_mb the log keeps its head and a rolling tail, and says so in the log and the summary") {
  test::RunFixture f;
  f.configure_command({"/bin/sh", "-c",
                       "echo FIRST-ENGINE-LINE; i=0; while [ $i -lt 40000 ]; do "
                       "echo \"line $i 0123456789012345678901234567890123456789012345678901234567890123456789\"; "
                       "i=$((i+1)); done; echo LAST-ENGINE-LINE"},
                      10, "", "");
  auto text = test::read_file(f.config());
  text.replace(text.find("logging:\n  dir: logs\n"), std::string("logging:\n  dir: logs\n").size(),
               "logging:\n  dir: logs\n  max_session_log_mb: 1\n");
  test::write_file(f.config(), text);
  const auto result = f.run();
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  const auto summary = f.latest_summary();
  const auto head = fs::path(summary["supervisor"]["log_file"].get<std::string>());
  const auto cap = summary["supervisor"]["log_cap"];
  REQUIRE(cap.is_object());
  CHECK(cap["max_session_log_mb"] == 1);
  CHECK(cap["dropped_bytes"].get<long long>() > 0);
  const fs::path tail = head.parent_path() / (head.stem().string() + ".tail.log");
  const fs::path old_tail = head.parent_path() / (head.stem().string() + ".tail.old.log");
  CHECK(cap["tail_files"] == nlohmann::json::array({old_tail.string(), tail.string()}));
  // 40,000 lines of about 130 bytes logged: far past the cap, yet within it.
  CHECK(fs::file_size(head) <= (512u << 10) + 1024);
  CHECK(fs::file_size(tail) <= (256u << 10) + 1024);
  CHECK(fs::file_size(old_tail) <= (256u << 10) + 1024);
  const auto head_text = test::read_file(head);
  CHECK(head_text.find("FIRST-ENGINE-LINE") != std::string::npos);
  CHECK(head_text.find("reached half its cap") != std::string::npos);
  const auto tail_text = test::read_file(tail);
  CHECK(tail_text.find("LAST-ENGINE-LINE") != std::string::npos);
  CHECK(tail_text.find("the rolling tail of " + head.string()) != std::string::npos);
  CHECK(summary["db_health"]["warnings"].dump().find("reached its cap") != std::string::npos);
  CHECK(summary["outcome"] == "clean");
}

TEST_CASE("issue 11 (small): the engine's escape codes reach the session log but not a console that is a pipe") {
  test::RunFixture f;
  f.configure_command({"/bin/sh", "-c", "printf '\\033[31mRED-LINE\\033[0m and \\033]0;title\\007done\\n'"});
  const auto result = f.run();
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  CHECK(result.out.find("[engine] RED-LINE and done") != std::string::npos);
  CHECK(result.out.find('\x1b') == std::string::npos);
  CHECK(f.session_log().find("\x1b[31mRED-LINE\x1b[0m and \x1b]0;title\x07" "done") != std::string::npos);
}
