// A full disk under logging.dir, in whole `engine-supervisor run` sessions:
// the real binary, the real demo engine flooding its output, and a real
// tmpfs of 1 MiB that really runs out of space (filled first by another
// program's file, to a random few KiB).
//
// Every time: the session runs and ends clean (a full log disk is no reason
// to stop the engine), the console says at once which file cannot be written
// and why, and the summary (on another disk) says it again with how many
// lines are missing. The count is checked against the file: every line the
// file lacks is counted. When the disk has room again, the session log says
// where lines are missing, and how many.

#include <signal.h>

#include <doctest/doctest.h>

#include <random>
#include <regex>

#include "support/run_fixture.hpp"
#include "torture/backup_torture_support.hpp"
#include "torture/disk_filler.hpp"
#include "torture/scoped_mount.hpp"
#include "torture/torture_mode.hpp"

using namespace es;
using namespace es::torture;
namespace fs = std::filesystem;

namespace {

constexpr std::uintmax_t kKiB = 1024;
constexpr int kFloodLines = 10013;  // the incident's run: 398 of them reached the log

// A folder whose logging.dir is a tiny tmpfs, filled by another program up
// to `leave` free bytes; the summary and the DB stay on the real disk.
struct LogDiskFull {
  test::RunFixture f;
  fs::path logs = f.dir / "tiny-logs";
  fs::path filler = logs / "other-program-data.bin";
  std::optional<ScopedMount> mount;

  std::uintmax_t leave = 0;  // free bytes left by the other program's file

  // Draws `leave` (0 to `max_leave`), mounts the tmpfs and fills it. False,
  // having said SKIPPED (ctest skips it by name), where tmpfs cannot be
  // mounted.
  bool set_up(std::mt19937_64& random, std::uintmax_t max_leave) {
    leave = std::uniform_int_distribution<std::uintmax_t>(0, max_leave)(random);
    fs::create_directory(logs);
    std::string why_not;
    auto mounted = ScopedMount::tmpfs(logs, 1024 * kKiB, why_not);
    if (!mounted) {
      WARN_MESSAGE(false, "SKIPPED: cannot mount a small tmpfs here: " << why_not);
      return false;
    }
    mount.emplace(std::move(*mounted));
    const auto problem = fill_filesystem(filler, leave);
    REQUIRE_MESSAGE(problem.empty(), problem);
    REQUIRE(free_bytes(logs) <= leave);
    return true;
  }

  void configure(const std::vector<std::string>& engine_args) {
    std::vector<std::string> command{test::demo_engine_binary(), "--marker", f.marker().string()};
    command.insert(command.end(), engine_args.begin(), engine_args.end());
    test::write_file(f.config(), "database:\n  path: live.db\n  backup_dir: backups\n"
                                 "engine:\n  command: " +
                                     nlohmann::json(command).dump() +
                                     "\nsummary:\n  dir: logs\nlogging:\n  dir: " +
                                     nlohmann::json(logs.string()).dump() + "\n");
  }

  fs::path session_log(const nlohmann::json& summary) const {
    return logs / ("session-" + summary["run_id"].get<std::string>() + ".log");
  }
};

// The summary's warning about the session log: the number of lines it
// reports missing. Checks that it names the file and the OS error.
std::uint64_t lines_reported_missing(const nlohmann::json& health, const fs::path& session_log) {
  const std::string about = " could not be written to the session log " + session_log.string() +
                            "; the first failure: append to " + session_log.string() +
                            " failed after ";
  for (const auto& warning : health["warnings"]) {
    const auto text = warning.get<std::string>();
    const auto at = text.find(about);
    if (at == std::string::npos) continue;
    CHECK(contains(text, "No space left on device"));
    return std::stoull(text.substr(0, text.find(' ')));
  }
  FAIL("no warning about the session log in " << health["warnings"].dump(2));
  return 0;
}

// The flood lines whole in the log, checked to be 1, 2, 3... in order: a
// full disk loses lines at the end, it never reorders them.
int whole_flood_lines(const std::string& log) {
  static const std::regex flood_line(R"(\[engine stdout\] flood (\d+) x+\n)");
  int expected = 1;
  for (std::sregex_iterator it(log.begin(), log.end(), flood_line), end; it != end; ++it) {
    CHECK(std::stoi((*it)[1]) == expected);
    ++expected;
  }
  return expected - 1;
}

}  // namespace

constexpr const char* kFillsMidFlood =
    "torture: log disk full: a session log whose disk fills mid-flood warns on the console and in "
    "the summary, with the file, the OS error and the lines lost; the run ends clean";
constexpr const char* kRoomAgain =
    "torture: log disk full: when the disk has room again, the session log says how many lines "
    "are missing there, as many as the summary counts";

TEST_CASE(kFillsMidFlood) {
  for (const auto seed : torture_mode().seeds(salt_of(kFillsMidFlood), 3, 30)) {
    INFO(how_to_reproduce(kFillsMidFlood, seed));
    std::mt19937_64 random(seed);
    LogDiskFull disk;
    // From nothing to a third of what the flood's lines need in the log.
    if (!disk.set_up(random, 500 * kKiB)) return;
    CAPTURE(disk.leave);
    disk.configure({"--flood-bytes", std::to_string(kFloodLines * 100), "--seconds", "0.2"});
    const auto result = disk.f.run();
    CAPTURE(result.err);

    CHECK(result.exit_code == 0);
    const auto summary = disk.f.latest_summary();
    CHECK(summary["outcome"] == "clean");
    const auto session_log = disk.session_log(summary);
    CHECK(summary["supervisor"]["log_file"] == session_log.string());
    // Said on the console when it happened, naming the file and the cause.
    CHECK(contains(result.err, "warning: cannot write to the session log " +
                                   session_log.string() + ": append to " + session_log.string() +
                                   " failed after "));
    CHECK(contains(result.err, "No space left on device"));

    const auto log = test::read_file(session_log);
    const int whole = whole_flood_lines(log);
    CAPTURE(whole);
    CHECK(whole < kFloodLines);  // the disk really filled mid-flood
    const auto missing = lines_reported_missing(summary["db_health"], session_log);
    CAPTURE(missing);
    // Every flood line the file lacks is counted (the supervisor's own lost
    // lines come on top), and no more lines than were ever logged.
    CHECK(missing >= static_cast<std::uint64_t>(kFloodLines - whole));
    CHECK(missing < static_cast<std::uint64_t>(kFloodLines - whole) + 100);
    // The other program's file is untouched: never the supervisor's to free.
    CHECK(fs::exists(disk.filler));
  }
}

TEST_CASE(kRoomAgain) {
  for (const auto seed : torture_mode().seeds(salt_of(kRoomAgain), 2, 20)) {
    INFO(how_to_reproduce(kRoomAgain, seed));
    std::mt19937_64 random(seed);
    LogDiskFull disk;
    if (!disk.set_up(random, 300 * kKiB)) return;
    CAPTURE(disk.leave);
    // The flood fills the disk; then the engine goes on committing (a line
    // every 20 ms) until it is stopped.
    disk.configure({"--flood-bytes", std::to_string(kFloodLines * 100), "--interval-ms", "20"});
    test::ChildProcess run(disk.f.run_argv(), {disk.f.dir.path()});
    REQUIRE(test::wait_until(
        [&] { return contains(run.err_so_far(), "warning: cannot write to the session log"); },
        60));
    // The operator frees space; the lines after that reach the log again.
    REQUIRE(test::wait_until([&] { return contains(run.out_so_far(), "flood-done"); }, 60));
    fs::remove(disk.filler);
    const auto out_after_room = run.out_so_far().size();
    REQUIRE(test::wait_until(
        [&] {
          return run.out_so_far().find("committed txn", out_after_room) != std::string::npos;
        },
        20));
    run.send(SIGTERM);
    const auto result = run.wait();
    CAPTURE(result.err);
    CHECK(result.exit_code == 0);

    const auto summary = disk.f.latest_summary();
    const auto session_log = disk.session_log(summary);
    const auto missing = lines_reported_missing(summary["db_health"], session_log);
    const auto log = test::read_file(session_log);
    // One gap, noted where it is, with the count the summary has.
    const std::regex note(R"(\[warning\] (\d+) lines? (?:is|are) missing here: append to )");
    std::smatch found;
    REQUIRE(std::regex_search(log, found, note));
    CHECK(std::stoull(found[1]) == missing);
    CHECK(contains(found.suffix().str().substr(0, 400), "No space left on device"));
    CHECK(whole_flood_lines(log) < kFloodLines);
    // After the note, the log goes on whole: the engine's last lines and the
    // supervisor's end of run are there.
    const auto after = found.suffix().str();
    CHECK(contains(after, "[engine stdout] committed txn "));
    CHECK(contains(after, "session clean"));
  }
}
