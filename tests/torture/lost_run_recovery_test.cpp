// Torture: the supervisor that records a lost run (step 2, recover) is itself
// killed, at every one of the file calls that recording makes: the history
// line and the lost run's summary. Whatever the kill point, a later run must
// still record the lost run as supervisor_lost, with its summary
// (docs/session-summary.md: "A run whose supervisor died gets its summary
// from the next run on the same DB, if it has none").
//
// The kill points are few, so each is tried, before and after its call,
// rather than drawn at random.

#include <doctest/doctest.h>
#include <signal.h>

#include "support/run_fixture.hpp"
#include "torture/kill_at.hpp"
#include "torture/kill_invariants.hpp"

using namespace es;
using namespace es::torture;
namespace fs = std::filesystem;

namespace {

constexpr const char* kRecoveryKilled =
    "torture: supervisor killed at each file call of recording a lost run: the next run still "
    "records the lost run as supervisor_lost, with its summary, and ends clean";

// The files recovery writes: the history, the lost run's summary, latest.json.
constexpr const char* kRecoveryFiles = "supervisor-history|session-|latest.json";

// Leaves a lost run behind: its supervisor killed while the engine runs.
// Returns that supervisor's pid.
int lose_a_run(test::RunFixture& f) {
  f.configure({"--interval-ms", "10000"});
  fs::remove(f.marker());
  test::ChildProcess run(f.run_argv(), test::ChildProcess::Options{f.dir.path()});
  REQUIRE(test::wait_until([&] { return fs::exists(f.marker()); }, 60));
  run.send(SIGKILL);
  REQUIRE(run.wait_for(60).has_value());
  REQUIRE(engine_gone(f, 3));
  f.configure({"--seconds", "0.1"});
  return run.pid();
}

}  // namespace

TEST_CASE(kRecoveryKilled) {
  test::RunFixture f;
  const auto trace = f.dir / "kill-at.trace";

  // Calibration: the calls recovery makes are those before the pre-backup's
  // first (the gate comes right after recovery).
  lose_a_run(f);
  const auto counted = test::run_command(
      with_kill_at({std::string(kRecoveryFiles) + "|.bak.", 0, false, trace}, f.run_argv()),
      f.dir.path());
  REQUIRE(counted.exit_code == 0);
  std::vector<ShimCall> recovery_calls;
  for (const auto& call : read_trace(trace)) {
    if (call.file.find(".bak.") != std::string::npos) break;
    recovery_calls.push_back(call);
  }
  REQUIRE_MESSAGE(recovery_calls.size() >= 2, "recovery made ", recovery_calls.size(),
                  " file calls; expected the history line and the summary");

  for (std::size_t k = 1; k <= recovery_calls.size(); ++k) {
    for (const bool after : {false, true}) {
      const auto& point = recovery_calls[k - 1];
      INFO("recovering supervisor killed ", std::string(after ? "after" : "before"), " call ", k,
           " of ", recovery_calls.size(), ": ", point.call, " ", point.file);
      const int lost_pid = lose_a_run(f);
      const auto before = audit_history(f.db());
      const auto lost = run_of_supervisor(before.loaded, lost_pid);
      REQUIRE(lost.has_value());
      REQUIRE(lost->running());

      fs::remove(trace);
      const auto killed = test::run_command(
          with_kill_at({kRecoveryFiles, static_cast<long>(k), after, trace}, f.run_argv()),
          f.dir.path());
      INFO("recovering supervisor's stderr:\n", killed.err);
      CHECK(killed.signal == SIGKILL);
      CHECK(kill_call(read_trace(trace)) != nullptr);
      CHECK_MESSAGE(killed.err.find("checking ") == std::string::npos,
                    "the kill came after recovery, in the gate");
      const auto latest = latest_summary_problem(f.dir / "logs");
      CHECK_MESSAGE(!latest, latest.value_or(""));
      const auto history = audit_history(f.db());
      CHECK_MESSAGE(history.problems.empty(), join_lines(history.problems));

      const auto next = f.run();
      INFO("next run's stderr:\n", next.err);
      CHECK(next.exit_code == 0);
      CHECK(f.latest_summary()["outcome"] == "clean");
      const auto closed = run_of_supervisor(audit_history(f.db()).loaded, lost_pid);
      REQUIRE(closed.has_value());
      CHECK(closed->outcome == "unclean");
      CHECK(closed->halt_reason == "supervisor_lost");
      const auto summary_text = test::read_file(lost->summary_path);
      REQUIRE_MESSAGE(nlohmann::json::accept(summary_text),
                      "the lost run has no summary that parses: ", lost->summary_path);
      const auto summary = nlohmann::json::parse(summary_text);
      CHECK(summary["outcome"] == "unclean");
      CHECK(summary["halt_reason"] == "supervisor_lost");
    }
  }
}
