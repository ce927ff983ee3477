// Issue 13.2: off-site copies through Debian's real restic, to a local
// repository: every verified backup copied and tagged, only what is new
// copied again, the password never in a log or a summary, a readable
// password file and a missing restic refused loudly, and a copy cut off at
// offsite.wait_seconds made by the next run. The run's outcome never
// changes. Skipped by name where restic is not installed.

#include <sys/stat.h>

#include <doctest/doctest.h>

#include <filesystem>
#include <set>
#include <nlohmann/json.hpp>

#include "support/run_fixture.hpp"
#include "support/test_db.hpp"

using namespace es;
namespace fs = std::filesystem;

namespace {

constexpr const char* kRestic = "/usr/bin/restic";
constexpr const char* kPassword = "correct-horse-battery-staple-4711";

bool have_restic() { return fs::exists(kRestic); }

// A fresh local repository at f.dir/repo, its password in f.dir/restic.pw.
void make_repository(const test::RunFixture& f) {
  test::write_file(f.dir / "restic.pw", std::string(kPassword) + "\n");
  fs::permissions(f.dir / "restic.pw", fs::perms::owner_read | fs::perms::owner_write);
  const auto made = test::run_command({"/usr/bin/env", "RESTIC_PASSWORD_FILE=" + (f.dir / "restic.pw").string(),
                                       kRestic, "init", "--repo", (f.dir / "repo").string()});
  INFO(made.err);
  REQUIRE(made.exit_code == 0);
}

std::string offsite_yaml(const test::RunFixture& f, const std::string& more = "") {
  return "offsite:\n  restic_repository: " + (f.dir / "repo").string() +
         "\n  password_file: restic.pw\n" + more;
}

nlohmann::json snapshots(const test::RunFixture& f) {
  const auto listed = test::run_command(
      {"/usr/bin/env", "RESTIC_PASSWORD_FILE=" + (f.dir / "restic.pw").string(), kRestic, "snapshots",
       "--json", "--no-lock", "--repo", (f.dir / "repo").string()});
  REQUIRE(listed.exit_code == 0);
  return nlohmann::json::parse(listed.out);
}

std::set<std::string> files_of(const nlohmann::json& copied) {
  std::set<std::string> files;
  for (const auto& copy : copied) files.insert(copy["file"].get<std::string>());
  return files;
}

}  // namespace

TEST_CASE("issue 13.2: every verified backup goes to the restic repository, tagged, and only new ones the next time") {
  if (!have_restic()) {
    MESSAGE("SKIPPED: restic is not installed (" << kRestic << "); scripts/install-deps.sh installs it");
    return;
  }
  test::RunFixture f;
  make_repository(f);
  f.configure({"--seconds", "0.3"}, 10, "", offsite_yaml(f));
  const auto first = f.run();
  INFO(first.err);
  REQUIRE(first.exit_code == 0);
  const auto summary = f.latest_summary();
  const auto offsite = summary["db_health"]["offsite"];
  REQUIRE(offsite.is_object());
  CHECK(offsite["failed"].empty());
  CHECK_FALSE(offsite["left_to_next_run"].get<bool>());
  const auto copied = files_of(offsite["copied"]);
  // The pre- and the post-session backup.
  CHECK(copied == std::set<std::string>{summary["db_health"]["pre_session_backup"],
                                        summary["db_health"]["post_session_backup"]});

  const auto listed = snapshots(f);
  REQUIRE(listed.size() == 2);
  const std::string run_id = summary["run_id"];
  for (const auto& snapshot : listed) {
    const auto tags = snapshot["tags"];
    CHECK(std::find(tags.begin(), tags.end(), "engine-supervisor") != tags.end());
    CHECK(std::find(tags.begin(), tags.end(), "db=live.db") != tags.end());
    CHECK(std::find(tags.begin(), tags.end(), "run=" + run_id) != tags.end());
  }
  // The password is in no log, no summary, and no process argument
  // (restic got the file's name through its environment).
  for (const auto& entry : fs::recursive_directory_iterator(f.dir / "logs")) {
    if (entry.is_regular_file()) CHECK(test::read_file(entry.path()).find(kPassword) == std::string::npos);
  }

  const auto second = f.run();
  REQUIRE(second.exit_code == 0);
  const auto next = f.latest_summary();
  CHECK(files_of(next["db_health"]["offsite"]["copied"]) ==
        std::set<std::string>{next["db_health"]["pre_session_backup"], next["db_health"]["post_session_backup"]});
  CHECK(snapshots(f).size() == 4);
}

TEST_CASE("issue 13.2: a password file others can read, and a missing restic, are loud warnings that change no outcome") {
  if (!have_restic()) {
    MESSAGE("SKIPPED: restic is not installed (" << kRestic << ")");
    return;
  }
  test::RunFixture f;
  make_repository(f);
  fs::permissions(f.dir / "restic.pw", fs::perms::group_read | fs::perms::others_read, fs::perm_options::add);
  f.configure({"--seconds", "0.3"}, 10, "", offsite_yaml(f));
  auto run = f.run();
  CHECK(run.exit_code == 0);
  auto offsite = f.latest_summary()["db_health"]["offsite"];
  REQUIRE(offsite["failed"].size() == 1);
  const std::string why = offsite["failed"][0];
  CHECK(why.find("restic.pw can be read or changed by others") != std::string::npos);
  CHECK(why.find("chmod 600") != std::string::npos);
  CHECK(run.err.find("chmod 600") != std::string::npos);
  CHECK(snapshots(f).empty());

  fs::permissions(f.dir / "restic.pw", fs::perms::owner_read | fs::perms::owner_write);
  f.configure({"--seconds", "0.3"}, 10, "", offsite_yaml(f, "  restic: " + (f.dir / "no" / "restic").string() + "\n"));
  run = f.run();
  CHECK(run.exit_code == 0);
  offsite = f.latest_summary()["db_health"]["offsite"];
  REQUIRE(offsite["failed"].size() == 1);
  CHECK(offsite["failed"][0].get<std::string>().find("apt install restic") != std::string::npos);
  CHECK(f.latest_summary()["outcome"] == "clean");
}

TEST_CASE("issue 13.2: a copy still running at offsite.wait_seconds is stopped, said, and made by the next run") {
  if (!have_restic()) {
    MESSAGE("SKIPPED: restic is not installed (" << kRestic << ")");
    return;
  }
  test::RunFixture f;
  fs::remove(f.db());
  test::make_big_db(f.db(), 200);
  make_repository(f);
  f.configure({"--seconds", "0.2"}, 10, "", offsite_yaml(f, "  wait_seconds: 0\n"));
  const auto first = f.run();
  CHECK(first.exit_code == 0);
  const auto offsite = f.latest_summary()["db_health"]["offsite"];
  CHECK(offsite["left_to_next_run"].get<bool>());
  REQUIRE_FALSE(offsite["failed"].empty());
  CHECK(offsite["failed"].back().get<std::string>().find("the next run copies what it did not") != std::string::npos);
  const std::string pre = f.latest_summary()["db_health"]["pre_session_backup"];

  f.configure_command({"true"}, 10, "", offsite_yaml(f, "  wait_seconds: 300\n"));
  const auto second = f.run();
  CHECK(second.exit_code == 0);
  const auto copied = files_of(f.latest_summary()["db_health"]["offsite"]["copied"]);
  CHECK(copied.contains(pre));
  CHECK(f.latest_summary()["db_health"]["offsite"]["failed"].empty());
}
