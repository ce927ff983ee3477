// Issue 11.17: an engine that installs no handler for the stop signal (like
// `fossil server`) dies of it. engine.clean_stop_signals makes that death a
// clean end, but only when the supervisor sent the signal.

#include <signal.h>

#include <doctest/doctest.h>

#include <fstream>
#include <sstream>

#include "common/config.hpp"
#include "common/integrity_check.hpp"
#include "support/run_fixture.hpp"

using namespace es;
using test::RunFixture;
namespace fs = std::filesystem;

namespace {

// The demo engine with no stop handler, stopped by SIGTERM; `listed` adds
// engine.clean_stop_signals: [SIGTERM].
std::unique_ptr<test::ChildProcess> start_unhandled_run(RunFixture& f, bool listed) {
  f.configure({"--no-stop-handler", "--interval-ms", "20"});
  auto text = test::read_file(f.config());
  const std::string engine_keys = std::string("engine:\n  stop_signal: SIGTERM\n") +
                                  (listed ? "  clean_stop_signals: [SIGTERM]\n" : "");
  text.replace(text.find("engine:\n"), 8, engine_keys);
  test::write_file(f.config(), text);
  auto child = std::make_unique<test::ChildProcess>(f.run_argv(),
                                                    test::ChildProcess::Options{f.dir.path()});
  REQUIRE(test::wait_until([&] { return fs::exists(f.marker()); }, 20));
  REQUIRE(test::wait_until([&] { return test::count_rows(f.db(), "orders") > 2; }, 20));
  return child;
}

// Exit codes the packaged systemd unit counts as a success: 0, and the
// codes its SuccessExitStatus= lines list.
std::vector<int> unit_success_codes() {
  std::ifstream unit(std::string(ES_SOURCE_DIR) + "/packaging/linux/engine-supervisor.service");
  REQUIRE(unit.good());
  std::vector<int> codes{0};
  for (std::string line; std::getline(unit, line);) {
    if (!line.starts_with("SuccessExitStatus=")) continue;
    std::istringstream words(line.substr(line.find('=') + 1));
    for (std::string word; words >> word;) {
      if (!word.empty() && std::isdigit(static_cast<unsigned char>(word[0]))) {
        codes.push_back(std::stoi(word));
      }
    }
  }
  return codes;
}

bool counts_as_success(int code) {
  const auto codes = unit_success_codes();
  return std::find(codes.begin(), codes.end(), code) != codes.end();
}

}  // namespace

TEST_CASE("issue 11.17: an engine killed by the SIGTERM the supervisor sent ends clean when clean_stop_signals lists it, with a post-backup") {
  RunFixture f;
  auto run = start_unhandled_run(f, true);
  run->send(SIGTERM);
  const auto result = run->wait();
  INFO(result.err);
  CHECK(result.exit_code == 0);
  const auto summary = f.latest_summary();
  CHECK(summary["outcome"] == "clean");
  CHECK(summary["halt_reason"] == "stop_requested");
  CHECK(summary["engine"]["signal"] == "SIGTERM");
  REQUIRE(f.backups("post").size() == 1);
  CHECK(run_integrity_check(f.backups("post")[0], CheckMode::kFull).ok());
  CHECK(result.err.find("ended by the SIGTERM the supervisor sent") != std::string::npos);
  CHECK(result.err.find("killed by") == std::string::npos);
  CHECK(result.err.find("engine killed") == std::string::npos);
  // systemd's `systemctl stop` is this SIGTERM: the unit must call it a success.
  CHECK(counts_as_success(result.exit_code));
}

TEST_CASE("issue 11.17: a SIGTERM from someone else stays unclean signal:SIGTERM, even when listed") {
  RunFixture f;
  auto run = start_unhandled_run(f, true);
  CHECK(kill(static_cast<pid_t>(f.engine_pid()), SIGTERM) == 0);
  const auto result = run->wait();
  CHECK(result.exit_code == 1);
  const auto summary = f.latest_summary();
  CHECK(summary["outcome"] == "unclean");
  CHECK(summary["halt_reason"] == "signal:SIGTERM");
  CHECK(f.backups("post").empty());
  // An unclean run must show as failed under systemd.
  CHECK_FALSE(counts_as_success(result.exit_code));
}

TEST_CASE("issue 11.17: without clean_stop_signals the supervisor's own stop is unclean, and the console says how to change that, not 'killed'") {
  RunFixture f;
  auto run = start_unhandled_run(f, false);
  run->send(SIGTERM);
  const auto result = run->wait();
  CHECK(result.exit_code == 1);
  CHECK(f.latest_summary()["halt_reason"] == "signal:SIGTERM");
  CHECK(f.backups("post").empty());
  INFO(result.err);
  CHECK(result.err.find("ended by the SIGTERM the supervisor sent") != std::string::npos);
  CHECK(result.err.find("engine.clean_stop_signals") != std::string::npos);
  CHECK(result.err.find("engine killed") == std::string::npos);
}

TEST_CASE("issue 11.17: clean_stop_signals may list only engine.stop_signal, and config show round-trips it") {
  const std::string base = "database:\n  path: live.db\nengine:\n  command: [e]\n";
  auto other = parse_config(base + "  stop_signal: SIGTERM\n  clean_stop_signals: [SIGINT]\n",
                            "/srv/c.yaml");
  REQUIRE_FALSE(other.has_value());
  CHECK(other.error().exit_code == ExitCode::kConfigInvalid);
  CHECK(other.error().message.find("engine.stop_signal SIGTERM") != std::string::npos);
  CHECK_FALSE(parse_config(base + "  clean_stop_signals: [SIGKILL]\n", "/srv/c.yaml").has_value());
  CHECK_FALSE(parse_config(base + "  stop_signal: SIGTERM\n  clean_stop_signals: [SIGTERM, SIGTERM]\n",
                           "/srv/c.yaml")
                  .has_value());
  auto good = parse_config(base + "  stop_signal: SIGTERM\n  clean_stop_signals: [SIGTERM]\n",
                           "/srv/c.yaml");
  REQUIRE(good.has_value());
  CHECK(good->engine.clean_stop_signals == std::vector<std::string>{"SIGTERM"});
  auto again = parse_config(render_config(*good), "/srv/c.yaml");
  REQUIRE(again.has_value());
  CHECK(again->engine == good->engine);
  // The default keeps today's meaning: no death by a signal is clean.
  auto plain = parse_config(base, "/srv/c.yaml");
  REQUIRE(plain.has_value());
  CHECK(plain->engine.clean_stop_signals.empty());
}
