// Torture: the supervisor is killed with SIGKILL at a random moment of its own
// lifecycle, in each named phase in turn: the gate, the pre-backup, the run,
// the post-backup, the summary write.
//
// The gate and the run last long enough to be hit by a timer: the DB is big
// enough for integrity_check to take a while, and in the run phase the engine
// runs until stopped. The pre-backup, the post-backup and the summary are hit
// by kill_at_shim, preloaded into the supervisor, at a random one of the
// fsync/rename/link/unlink calls on their files (counted in a calibration run).
// Where each kill actually landed is worked out afterwards and tallied; every
// phase must be hit.

#include <doctest/doctest.h>
#include <signal.h>

#include <array>
#include <chrono>
#include <map>
#include <random>
#include <thread>

#include "common/backup_store.hpp"
#include "support/run_fixture.hpp"
#include "torture/kill_at.hpp"
#include "torture/kill_invariants.hpp"
#include "torture/torture_mode.hpp"

using namespace es;
using namespace es::torture;
namespace fs = std::filesystem;

namespace {

constexpr const char* kSupervisorKilled =
    "torture: supervisor killed by SIGKILL in the gate, pre-backup, run, post-backup or summary "
    "write: no engine is left, every backup verifies, summary and history parse, and the next run "
    "records the lost run and ends clean";

enum class Phase { kGate, kPreBackup, kRun, kPostBackup, kSummary };
constexpr std::array kPhases{Phase::kGate, Phase::kPreBackup, Phase::kRun, Phase::kPostBackup,
                             Phase::kSummary};

std::string name_of(Phase phase) {
  switch (phase) {
    case Phase::kGate:
      return "gate";
    case Phase::kPreBackup:
      return "pre-backup";
    case Phase::kRun:
      return "run";
    case Phase::kPostBackup:
      return "post-backup";
    case Phase::kSummary:
      return "summary";
  }
  return "?";
}

// The shim's file-name patterns for the phases it kills in; "" for the
// phases a timer hits.
std::string shim_pattern(Phase phase) {
  switch (phase) {
    case Phase::kPreBackup:
      return ".bak.";
    case Phase::kPostBackup:
      return ".post.";
    case Phase::kSummary:
      return "latest.json|session-";
    default:
      return "";
  }
}

constexpr const char* kAllShimPatterns = ".bak.|.post.|latest.json|session-";

// The phase a file the shim saw belongs to.
std::optional<Phase> phase_of_file(const std::string& name) {
  if (name.find(".bak.") != std::string::npos) return Phase::kPreBackup;
  if (name.find(".post.") != std::string::npos) return Phase::kPostBackup;
  if (name.find("latest.json") != std::string::npos || name.find("session-") != std::string::npos) {
    return Phase::kSummary;
  }
  return std::nullopt;
}

// A DB for which the full integrity_check lasts long enough (about 0.15 s
// here) to be interrupted at a random point.
constexpr int kDbRows = 50'000;
// The engine's own run, in every phase but the run: short, so the suite
// stays fast and the post-session steps come soon.
constexpr double kEngineSeconds = 0.4;
// In the run phase the engine runs until stopped, and a timer hits it within
// kRunKillWindowMs of its start. Every other time it is a quiet engine: it
// prints its first commit only and then sleeps, so no SIGPIPE from the dead
// supervisor's pipe can end it, and only PR_SET_PDEATHSIG can. In between it
// is a busy engine, writing back to back, so its death comes mid-write.
constexpr const char* kQuietIntervalMs = "10000";
constexpr int kRunKillWindowMs = 800;

constexpr double kGateShare = 0.7;

struct KillPlan {
  Phase phase = Phase::kGate;
  bool quiet_engine = false;  // run phase: see kQuietIntervalMs
  int delay_ms = 0;           // timer phases: after the phase began
  long call = 0;              // shim phases: the Nth matching call
  bool after = false;         // shim phases: kill after the call instead of before

  std::string describe() const {
    if (phase == Phase::kRun) {
      return "phase run, " + std::to_string(delay_ms) + " ms into it, " +
             (quiet_engine ? "quiet" : "busy") + " engine";
    }
    if (shim_pattern(phase).empty()) {
      return "phase " + name_of(phase) + ", " + std::to_string(delay_ms) + " ms into it";
    }
    return "phase " + name_of(phase) + ", " + (after ? "after" : "before") + " matching call " +
           std::to_string(call) + " of '" + shim_pattern(phase) + "'";
  }
};

// What the calibration run measured.
struct Calibration {
  // The shortest full integrity_check seen in a clean run so far. A timer
  // aims inside the first kGateShare of it, so that a gate that runs faster
  // than before (a quieter machine) is still hit.
  double gate_seconds = 0;
  std::map<Phase, long> calls;  // shim-matched calls per phase in one clean run
};

// The index that picks an iteration's phase. ES_TORTURE_ONLY gives a seed,
// not an index: the index is found again from the base seed, as the
// reproduce line passes both.
std::size_t plan_index(std::size_t iteration, std::uint64_t seed) {
  const auto& mode = torture_mode();
  if (!mode.only_seed) return iteration;
  for (int i = 0; i < 10'000; ++i) {
    if (mode.iteration_seed(salt_of(kSupervisorKilled), i) == seed) {
      return static_cast<std::size_t>(i);
    }
  }
  return static_cast<std::size_t>(seed % 10'000);
}

// Phases round-robin, so that every five iterations cover all of them, and
// the run phase alternates between a quiet and a busy engine; the moment
// inside the phase is random.
KillPlan draw_plan(std::size_t index, std::uint64_t seed, const Calibration& calibration) {
  std::mt19937_64 random(seed);
  KillPlan plan;
  plan.phase = kPhases[index % kPhases.size()];
  plan.quiet_engine = (index / kPhases.size()) % 2 == 0;
  const auto phase = plan.phase;
  if (phase == Phase::kGate) {
    const int gate_ms = std::max(1, static_cast<int>(calibration.gate_seconds * 1000 * kGateShare));
    plan.delay_ms = std::uniform_int_distribution<int>(0, gate_ms)(random);
  } else if (phase == Phase::kRun) {
    plan.delay_ms = std::uniform_int_distribution<int>(0, kRunKillWindowMs)(random);
  } else {
    plan.call = std::uniform_int_distribution<long>(1, calibration.calls.at(phase))(random);
    plan.after = std::uniform_int_distribution<int>(0, 1)(random) == 1;
  }
  return plan;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// Where the kill actually landed: the shim names the file it killed at; for
// a timer, the supervisor's own lines say how far it got.
std::string phase_hit(const std::vector<ShimCall>& trace, const std::string& err) {
  if (const auto* call = kill_call(trace)) {
    const auto phase = phase_of_file(call->file);
    return phase ? name_of(*phase) : "shim kill at " + call->file;
  }
  if (!contains(err, "checking ")) return "before the gate";
  if (!contains(err, "integrity check ok")) return name_of(Phase::kGate);
  if (!contains(err, "engine started, pid")) return name_of(Phase::kPreBackup);
  if (!contains(err, "engine exited") && !contains(err, "engine killed")) {
    return name_of(Phase::kRun);
  }
  return "post-session";
}

class SupervisorTorture {
 public:
  SupervisorTorture() : auditor_(f_.dir / "backups", "live.db") {
    test::make_db(f_.db(), kDbRows);
    configure_for(KillPlan{});
    seed_old_backups();
  }

  test::RunFixture& fixture() { return f_; }
  void configure_for(const KillPlan& plan) {
    if (plan.phase != Phase::kRun) {
      f_.configure({"--interval-ms", "5", "--seconds", std::to_string(kEngineSeconds)});
    } else {
      f_.configure({"--interval-ms", plan.quiet_engine ? kQuietIntervalMs : "0"});
    }
  }
  BackupAuditor& auditor() { return auditor_; }
  fs::path trace() const { return f_.dir / "kill-at.trace"; }

  // One clean run with the shim counting: how long the gate takes, and how
  // many calls each shim phase makes.
  Calibration calibrate() {
    fs::remove(trace());
    const auto result = test::run_command(
        with_kill_at({kAllShimPatterns, 0, false, trace()}, f_.run_argv()), f_.dir.path());
    INFO("calibration run stderr:\n", result.err);
    REQUIRE(result.exit_code == 0);
    Calibration calibration;
    calibration.gate_seconds =
        f_.latest_summary()["db_health"]["integrity_check_seconds"].get<double>();
    for (const auto& call : read_trace(trace())) {
      if (const auto phase = phase_of_file(call.file)) ++calibration.calls[*phase];
    }
    for (const auto phase : {Phase::kPreBackup, Phase::kPostBackup, Phase::kSummary}) {
      REQUIRE_MESSAGE(calibration.calls[phase] > 0, "the shim saw no call of ", name_of(phase));
    }
    return calibration;
  }

  struct Killed {
    test::CommandResult ended;
    int supervisor_pid = 0;
    bool engine_alive_at_kill = false;  // for a timer's kill
  };

  // Starts the supervisor for `plan` and kills it; returns how it ended.
  Killed run_and_kill(const KillPlan& plan) {
    Killed killed;
    configure_for(plan);
    fs::remove(f_.marker());
    fs::remove(trace());
    const auto pattern = shim_pattern(plan.phase);
    test::ChildProcess run(
        pattern.empty() ? f_.run_argv()
                        : with_kill_at({pattern, plan.call, plan.after, trace()}, f_.run_argv()),
        test::ChildProcess::Options{f_.dir.path()});
    killed.supervisor_pid = run.pid();
    if (plan.phase == Phase::kGate) {
      REQUIRE(test::wait_until([&] { return contains(run.err_so_far(), "checking "); }, 60));
    } else if (plan.phase == Phase::kRun) {
      REQUIRE(test::wait_until([&] { return fs::exists(f_.marker()); }, 60));
    }
    if (pattern.empty()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(plan.delay_ms));
      killed.engine_alive_at_kill =
          fs::exists(f_.marker()) && test::process_alive(static_cast<int>(f_.engine_pid()));
      run.send(SIGKILL);
    }
    const auto ended = run.wait_for(120);
    REQUIRE_MESSAGE(ended.has_value(), "the supervisor did not end");
    killed.ended = *ended;
    return killed;
  }

 private:
  // Five old backups of each kind, as a long-used DB has: every backup the
  // runs take then deletes one by retention, so each run makes the same calls.
  void seed_old_backups() {
    const BackupStore store(f_.db(), f_.dir / "backups");
    const auto old = Clock::time_point(std::chrono::sys_days(std::chrono::year(2020) / 1 / 1));
    const auto first = store.take(BackupKind::kManual, {1}, old);
    REQUIRE(first.has_value());
    for (const auto kind : {BackupKind::kPreSession, BackupKind::kPostSession}) {
      for (int k = 0; k < 5; ++k) {
        const BackupName name{kind, old + std::chrono::seconds(k), 1};
        fs::copy_file(first->file.path, f_.dir / "backups" / format_backup_name("live.db", name));
      }
    }
    fs::remove(first->file.path);
  }

  test::RunFixture f_;
  BackupAuditor auditor_;
};

}  // namespace

TEST_CASE(kSupervisorKilled) {
  const auto& mode = torture_mode();
  const auto seeds = mode.seeds(salt_of(kSupervisorKilled), 10, 50);
  SupervisorTorture torture;
  auto& f = torture.fixture();
  auto calibration = torture.calibrate();
  MESSAGE("calibration: gate ", calibration.gate_seconds, " s; shim calls: pre-backup ",
          calibration.calls.at(Phase::kPreBackup), ", post-backup ",
          calibration.calls.at(Phase::kPostBackup), ", summary ",
          calibration.calls.at(Phase::kSummary));
  std::map<std::string, int> hits;
  std::vector<std::string> left_over;  // temporaries in the backup folder, reported only

  for (std::size_t i = 0; i < seeds.size(); ++i) {
    const auto seed = seeds[i];
    const auto plan = draw_plan(plan_index(i, seed), seed, calibration);
    INFO("iteration ", i, " of ", seeds.size(), ", seed ", seed, ", ", plan.describe(), "; ",
         reproduce_line(kSupervisorKilled, seed));

    const auto killed = torture.run_and_kill(plan);
    const auto supervisor_pid = killed.supervisor_pid;
    const auto trace = read_trace(torture.trace());
    const auto hit = phase_hit(trace, killed.ended.err);
    ++hits[hit];
    INFO("the kill landed in: ", hit, "\nkilled supervisor's stderr:\n", killed.ended.err);
    CHECK_MESSAGE(killed.ended.signal == SIGKILL, "the supervisor was not killed: it exited ",
                  killed.ended.exit_code);

    // No engine is left: PR_SET_PDEATHSIG took it with the supervisor. In the
    // run phase it was alive, and a quiet engine would have run on by itself.
    // (Its DB is checked by the next run's gate.)
    if (hit == name_of(Phase::kRun)) CHECK(killed.engine_alive_at_kill);
    CHECK(engine_gone(f, 3));
    // Nothing under a backup name is partial.
    const auto backups = torture.auditor().audit();
    left_over = backups.others;
    INFO("other files in the backup folder: ", join_lines(backups.others));
    CHECK_MESSAGE(backups.failures.empty(), "backups that do not verify:\n",
                  join_lines(backups.failures));
    CHECK(backups.verified >= 5);
    // The summary and the history parse.
    const auto latest = latest_summary_problem(f.dir / "logs");
    CHECK_MESSAGE(!latest, latest.value_or(""));
    const auto history = audit_history(f.db());
    CHECK_MESSAGE(history.problems.empty(), join_lines(history.problems));
    const auto lost = run_of_supervisor(history.loaded, supervisor_pid);
    if (lost) CHECK_MESSAGE(lost->running(), "the killed run is already closed: ", lost->outcome);

    // The next run records the lost run and ends clean.
    torture.configure_for(KillPlan{});
    fs::remove(f.marker());
    const auto next = f.run();
    INFO("next run's stderr:\n", next.err);
    CHECK(next.exit_code == 0);
    const auto summary = f.latest_summary();
    CHECK(summary["outcome"] == "clean");
    calibration.gate_seconds = std::min(
        calibration.gate_seconds, summary["db_health"]["integrity_check_seconds"].get<double>());
    const auto after = audit_history(f.db());
    CHECK_MESSAGE(after.problems.empty(), join_lines(after.problems));
    if (lost) {
      const auto closed = run_of_supervisor(after.loaded, supervisor_pid);
      REQUIRE(closed.has_value());
      CHECK(closed->outcome == "unclean");
      CHECK(closed->halt_reason == "supervisor_lost");
      CHECK(contains(next.err, "did not finish: its supervisor was lost"));
      const auto lost_summary = f.dir / "logs" / ("session-" + lost->run_id + ".json");
      CHECK_MESSAGE(nlohmann::json::accept(test::read_file(lost_summary)),
                    "the lost run's summary does not parse: ", lost_summary.string());
    }
  }

  std::string tally;
  for (const auto& [phase, count] : hits) tally += " " + phase + ": " + std::to_string(count) + ";";
  MESSAGE("supervisor killed ", seeds.size(), " times; landed in", tally,
          "\nleft in the backup folder besides backups (not backups, only reported):\n",
          join_lines(left_over));
  if (!mode.only_seed) {
    for (const auto phase : kPhases) {
      CHECK_MESSAGE(hits[name_of(phase)] > 0, "no kill landed in the ", name_of(phase),
                    "; landed in", tally);
    }
  }
}
