// A console that goes away never stops a run or a restore: `run | head -n 2`
// closes the reading end of the supervisor's output pipe after two lines.

#include <doctest/doctest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>

#include "support/run_fixture.hpp"

namespace es {
namespace fs = std::filesystem;

namespace {

// Runs argv with stdout and stderr on a pipe whose reader is already gone,
// and SIGPIPE at its default (the test runner's own setting must not help).
// The exit status as the shell reports it: 128 + N for a death by signal N.
int run_with_reader_gone(const std::vector<std::string>& argv, const fs::path& cwd) {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  ::close(fds[0]);
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::signal(SIGPIPE, SIG_DFL);
    ::dup2(fds[1], 1);
    ::dup2(fds[1], 2);
    if (::chdir(cwd.c_str()) != 0) _exit(127);
    std::vector<char*> args;
    for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    _exit(127);
  }
  ::close(fds[1]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}

}  // namespace

TEST_CASE("console loss: a run whose output pipe has no reader runs to a clean end") {
  test::RunFixture f;
  f.configure({"--interval-ms", "20", "--seconds", "0.5"});
  test::make_db(f.db());
  CHECK(run_with_reader_gone(f.run_argv(), f.dir.path()) == 0);
  const auto summary = f.latest_summary();
  CHECK(summary["outcome"] == "clean");
  CHECK(summary["halt_reason"] == "engine_exit");
  CHECK(f.backups("post").size() == 1);
}

TEST_CASE("console loss: a restore whose output pipe has no reader finishes the restore") {
  test::TempDir dir;
  const auto db = dir / "live.db";
  test::make_db(db, 100);
  REQUIRE(test::run_command({test::supervisor_binary(), "backup", "--db", db.string()}).exit_code ==
          0);
  test::overwrite(db, 2 * static_cast<std::uintmax_t>(test::page_size_of(db)), 100);
  CHECK(run_with_reader_gone(
            {test::supervisor_binary(), "restore", "--latest", "--yes", "--db", db.string()},
            dir.path()) == 0);
  CHECK(test::count_rows(db) == 100);
}

}  // namespace es
