// Issue 12.1: notify.command runs for the events of a run that went wrong,
// with the summary on stdin and the event in its environment; its result
// goes into the summary, and a failing or hanging notifier is a warning,
// never another outcome. The notifier is a real script.

#include <signal.h>

#include <doctest/doctest.h>

#include <chrono>
#include <nlohmann/json.hpp>

#include "support/run_fixture.hpp"
#include "support/test_db.hpp"

using namespace es;
namespace fs = std::filesystem;

namespace {

// A notifier that keeps what it got: stdin in <event>.json, its
// ENGINE_SUPERVISOR_ variables in <event>.env, and says "notified".
std::string recording_notifier(const fs::path& folder) {
  return "notify:\n  command: [\"/bin/sh\", \"-c\", "
         "\"cat > \\\"$0/$ENGINE_SUPERVISOR_EVENT.json\\\"; env | grep ^ENGINE_SUPERVISOR_ | sort > "
         "\\\"$0/$ENGINE_SUPERVISOR_EVENT.env\\\"; echo notified\", " +
         nlohmann::json(folder.string()).dump() + "]\n";
}

}  // namespace

TEST_CASE("issue 12.1: an unclean run runs notify.command with its summary on stdin and the event in its environment") {
  test::RunFixture f;
  const auto got = f.dir / "notified";
  fs::create_directory(got);
  f.configure_command({"false"}, 10, "", recording_notifier(got));
  const auto result = f.run();
  INFO(result.err);
  CHECK(result.exit_code == 1);  // the run's own outcome stands
  const auto summary = f.latest_summary();
  REQUIRE(fs::exists(got / "unclean.json"));
  const auto input = nlohmann::json::parse(test::read_file(got / "unclean.json"));
  CHECK(input["run_id"] == summary["run_id"]);
  CHECK(input["outcome"] == "unclean");
  const auto env = test::read_file(got / "unclean.env");
  CHECK(env.find("ENGINE_SUPERVISOR_EVENT=unclean\n") != std::string::npos);
  CHECK(env.find("ENGINE_SUPERVISOR_RUN_ID=" + summary["run_id"].get<std::string>() + "\n") != std::string::npos);
  CHECK(env.find("ENGINE_SUPERVISOR_DB=" + f.db().string() + "\n") != std::string::npos);
  CHECK(env.find("ENGINE_SUPERVISOR_SUMMARY=" + (f.dir / "logs" / ("session-" + summary["run_id"].get<std::string>() + ".json")).string() + "\n") != std::string::npos);
  CHECK(env.find("ENGINE_SUPERVISOR_MESSAGE=run " + summary["run_id"].get<std::string>() + " of " + f.db().string() + ": unclean (exit_code:1)\n") != std::string::npos);
  // The summary file says what the notifier did.
  REQUIRE(summary["notifications"].size() == 1);
  CHECK(summary["notifications"][0]["event"] == "unclean");
  CHECK(summary["notifications"][0]["exit_code"] == 0);
  CHECK(summary["notifications"][0]["output"] == nlohmann::json::array({"notified"}));
  // No other event was asked for: `warning` is not in the default notify.on.
  CHECK_FALSE(fs::exists(got / "warning.json"));
  // Nothing of the notifier's input is left in the logs folder.
  for (const auto& entry : fs::directory_iterator(f.dir / "logs")) {
    CHECK(entry.path().filename().string().find("notify-input") == std::string::npos);
  }
}

TEST_CASE("issue 12.1: a clean run notifies nobody") {
  test::RunFixture f;
  const auto got = f.dir / "notified";
  fs::create_directory(got);
  f.configure_command({"true"}, 10, "", recording_notifier(got));
  REQUIRE(f.run().exit_code == 0);
  CHECK(fs::is_empty(got));
  CHECK(f.latest_summary()["notifications"].empty());
}

TEST_CASE("issue 12.1: a hanging notifier is killed after notify.timeout_seconds, a failing one is a warning, and the outcome stands") {
  test::RunFixture f;
  f.configure_command({"false"}, 10, "",
                      "notify:\n  command: [\"/bin/sh\", \"-c\", \"echo about to hang; sleep 60\"]\n"
                      "  timeout_seconds: 1\n");
  const auto started = std::chrono::steady_clock::now();
  const auto result = f.run();
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(20));
  CHECK(result.exit_code == 1);
  auto summary = f.latest_summary();
  CHECK(summary["outcome"] == "unclean");
  REQUIRE(summary["notifications"].size() == 1);
  CHECK(summary["notifications"][0]["timed_out"] == true);
  CHECK(summary["notifications"][0]["output"][0] == "about to hang");
  CHECK(summary["db_health"]["warnings"].dump().find("the notifier for the event unclean failed") != std::string::npos);

  f.configure_command({"false"}, 10, "",
                      "notify:\n  command: [\"/bin/sh\", \"-c\", \"echo no route to host >&2; exit 3\"]\n");
  CHECK(f.run().exit_code == 1);
  summary = f.latest_summary();
  REQUIRE(summary["notifications"].size() == 1);
  CHECK(summary["notifications"][0]["exit_code"] == 3);
  CHECK(summary["db_health"]["warnings"].dump().find("exited with code 3; it said: no route to host") != std::string::npos);

  f.configure_command({"false"}, 10, "", "notify:\n  command: [\"/nonexistent/notifier\"]\n");
  CHECK(f.run().exit_code == 1);
  summary = f.latest_summary();
  REQUIRE(summary["notifications"].size() == 1);
  CHECK(summary["notifications"][0]["error"].is_string());
}

TEST_CASE("issue 12.1: a run refused because another run holds the DB notifies refused, with the summary it could not write on stdin") {
  test::RunFixture f;
  const auto got = f.dir / "notified";
  fs::create_directory(got);
  f.configure({"--seconds", "60", "--interval-ms", "50"}, 10, "", recording_notifier(got));
  test::ChildProcess first(f.run_argv(), {.cwd = f.dir.path()});
  REQUIRE(test::wait_until([&] { return fs::exists(f.marker()); }, 30));
  const auto second = f.run();
  CHECK(second.exit_code == 75);
  REQUIRE(fs::exists(got / "refused.json"));
  CHECK(nlohmann::json::parse(test::read_file(got / "refused.json"))["outcome"] == "refused");
  CHECK(test::read_file(got / "refused.env").find("ENGINE_SUPERVISOR_MESSAGE=run (none) of " + f.db().string() + ": refused: ") != std::string::npos);
  first.send(SIGTERM);
  CHECK(first.wait().exit_code == 0);
}
