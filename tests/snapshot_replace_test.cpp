// `snapshot DEST` and what DEST may be (issue 11, item 16), through the real
// binary: on f343d74 `snapshot data/live.db.supervisor-history.jsonl` turned
// the run history into a read-only SQLite file. Now the supervisor's own
// files (and the DB's) are never written, even with --replace, and any
// other existing file only with --replace.

#include <sys/stat.h>

#include <doctest/doctest.h>

#include "support/run_fixture.hpp"

using namespace es;
using test::RunFixture;
namespace fs = std::filesystem;

namespace {

test::CommandResult snapshot(const RunFixture& f, const fs::path& dest, bool replace) {
  std::vector<std::string> argv{test::supervisor_binary(), "snapshot", dest.string(), "--config",
                                f.config().string()};
  if (replace) argv.push_back("--replace");
  return test::run_command(argv, f.dir.path());
}

// Every regular file under `folder`, path to bytes; but the supervisor's
// rotating log, which every command (this snapshot too) appends to.
std::map<std::string, std::string> tree(const fs::path& folder) {
  std::map<std::string, std::string> files;
  for (const auto& entry : fs::recursive_directory_iterator(folder)) {
    if (entry.path().filename() == "engine-supervisor.log") continue;
    if (entry.is_regular_file()) files[entry.path().string()] = test::read_file(entry.path());
  }
  return files;
}

fs::path first_with_prefix(const fs::path& folder, const std::string& prefix) {
  for (const auto& entry : fs::directory_iterator(folder)) {
    if (entry.path().filename().string().rfind(prefix, 0) == 0) return entry.path();
  }
  FAIL("no file starting with " << prefix << " in " << folder);
  return {};
}

}  // namespace

TEST_CASE("issue 11.16: snapshot never writes a supervisor's file or the DB's, even with --replace") {
  RunFixture f;
  f.configure({"--seconds", "0.2", "--interval-ms", "5"});
  // Before any run: the history is not written yet, and is refused all the same.
  const auto history = f.dir / "live.db.supervisor-history.jsonl";
  for (const bool replace : {false, true}) {
    const auto before_run = snapshot(f, history, replace);
    CHECK(before_run.exit_code == 64);
    CHECK(before_run.err.find("run history") != std::string::npos);
    CHECK_FALSE(fs::exists(history));
  }
  REQUIRE(f.run().exit_code == 0);
  // What the supervisor leaves, and what a restore and an accepted loss leave.
  test::write_file(f.dir / "live.db.replaced.20260101T000000Z", "the DB a restore moved aside");
  fs::create_directory(f.dir / "backups" / "live.db.evidence.20260101T000000Z");
  test::write_file(f.dir / "backups" / "live.db.evidence.20260101T000000Z" / "live.db-wal",
                   "a lost -wal");
  fs::create_directory(f.dir / "elsewhere");
  fs::create_hard_link(history, f.dir / "elsewhere" / "history-link");
  fs::create_symlink(f.dir / "live.db.supervisor.lock", f.dir / "elsewhere" / "lock-link");
  const auto before = tree(f.dir.path());

  const fs::path dests[] = {
      history,
      f.dir / "live.db.supervisor.lock",
      f.dir / "logs" / "latest.json",
      fs::path(f.latest_summary()["supervisor"]["log_file"].get<std::string>()),
      f.dir / "logs" / "engine-supervisor.log",
      first_with_prefix(f.dir / "logs", "session-"),
      first_with_prefix(f.dir / "backups", "live.db.bak."),
      first_with_prefix(f.dir / "backups", "live.db.post."),
      f.dir / "backups" / "live.db.evidence.20260101T000000Z" / "live.db-wal",
      f.dir / "live.db.replaced.20260101T000000Z",
      f.config(),
      f.db(),
      f.dir / "live.db-journal",
      f.dir / "elsewhere" / "history-link",
      f.dir / "elsewhere" / "lock-link",
      f.dir / "logs" / ".." / "live.db.supervisor-history.jsonl",
  };
  for (const auto& dest : dests) {
    for (const bool replace : {false, true}) {
      CAPTURE(dest);
      CAPTURE(replace);
      const auto result = snapshot(f, dest, replace);
      CHECK(result.exit_code == 64);
      CHECK(result.err.find("never overwritten, even with --replace") != std::string::npos);
    }
  }
  CHECK(tree(f.dir.path()) == before);  // not a byte changed, nothing new (no temporary either)
  CHECK(test::read_file(f.dir / "logs" / "engine-supervisor.log").find("SQLite format 3") ==
        std::string::npos);
  CHECK(f.run().exit_code == 0);  // and the next run finds its files as it left them
}

TEST_CASE("issue 11.16: snapshot overwrites an existing file only with --replace, and only a file") {
  RunFixture f;
  f.configure({"--seconds", "0.2"});
  const auto dest = f.dir / "for-analysis.db";
  test::write_file(dest, "someone's report");

  const auto refused = snapshot(f, dest, false);
  CHECK(refused.exit_code == 74);
  CHECK(refused.err.find("already exists and was left as it is; pass --replace") !=
        std::string::npos);
  CHECK(test::read_file(dest) == "someone's report");

  const auto replaced = snapshot(f, dest, true);
  CAPTURE(replaced.err);
  REQUIRE(replaced.exit_code == 0);
  CHECK(test::count_rows(dest) == 200);
  // The earlier snapshot is read-only; --replace replaces it too.
  struct stat info {};
  REQUIRE(::stat(dest.c_str(), &info) == 0);
  CHECK((info.st_mode & 0222) == 0);
  CHECK(snapshot(f, dest, true).exit_code == 0);

  fs::create_directory(f.dir / "a-folder");
  const auto folder = snapshot(f, f.dir / "a-folder", true);
  CHECK(folder.exit_code == 74);
  CHECK(folder.err.find("not a regular file") != std::string::npos);
  CHECK(fs::is_directory(f.dir / "a-folder"));
  for (const auto& entry : fs::directory_iterator(f.dir.path())) {
    CHECK(entry.path().extension() != ".tmp");
  }
}
