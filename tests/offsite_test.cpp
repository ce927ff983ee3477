// Issue 13.2: off-site copies through Debian's real restic, to a local
// repository: every verified backup copied and tagged, only what is new
// copied again, the password never in a log or a summary, a readable
// password file and a missing restic refused loudly, and a copy cut off at
// offsite.wait_seconds made by the next run. The run's outcome never
// changes. Skipped by name where restic is not installed.

#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
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
  // The alert: notify.command runs once for offsite_failed, with the summary on stdin.
  fs::create_directory(f.dir / "alerts");
  const auto notify = "notify:\n  command: [\"/bin/sh\", \"-c\", \"cat > \\\"$0/$ENGINE_SUPERVISOR_EVENT.json\\\"\", " +
                      nlohmann::json((f.dir / "alerts").string()).dump() + "]\n  on: [offsite_failed]\n";
  f.configure({"--seconds", "0.3"}, 10, "", offsite_yaml(f) + notify);
  auto run = f.run();
  CHECK(run.exit_code == 0);
  auto offsite = f.latest_summary()["db_health"]["offsite"];
  REQUIRE(offsite["failed"].size() == 1);
  const std::string why = offsite["failed"][0];
  CHECK(why.find("restic.pw can be read or changed by others") != std::string::npos);
  CHECK(why.find("chmod 600") != std::string::npos);
  CHECK(run.err.find("chmod 600") != std::string::npos);
  REQUIRE(fs::exists(f.dir / "alerts" / "offsite_failed.json"));
  CHECK(test::read_file(f.dir / "alerts" / "offsite_failed.json").find("chmod 600") != std::string::npos);
  CHECK(std::distance(fs::directory_iterator(f.dir / "alerts"), {}) == 1);  // that event only
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
  INFO(f.latest_summary()["db_health"]["offsite"].dump());
  CHECK(f.latest_summary()["db_health"]["offsite"]["failed"].empty());
}

namespace {


// restic's own backup of `file` into f's repository, with these tags.
std::string restic_backup(const test::RunFixture& f, const fs::path& file, const std::vector<std::string>& tags) {
  std::vector<std::string> argv{"/usr/bin/env", "RESTIC_PASSWORD_FILE=" + (f.dir / "restic.pw").string(),
                                kRestic, "backup", "--json", "--repo", (f.dir / "repo").string()};
  for (const auto& tag : tags) argv.insert(argv.end(), {"--tag", tag});
  argv.push_back(file.string());
  const auto made = test::run_command(argv);
  REQUIRE(made.exit_code == 0);
  const auto summary = made.out.substr(made.out.rfind("{\"message_type\":\"summary\""));
  return nlohmann::json::parse(summary.substr(0, summary.find('\n')))["snapshot_id"];
}

// This process's restore left its download folder (a planted stale one aside).
bool download_folder_left(const test::RunFixture& f) {
  for (const auto& entry : fs::directory_iterator(f.dir / "backups")) {
    const auto name = entry.path().filename().string();
    if (name.find(".offsite-restore.") != std::string::npos && name.find("999999999") == std::string::npos) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("issue 13.2: backups --offsite lists this DB's snapshots; restore --offsite downloads, checks, and restores through the verified path") {
  if (!have_restic()) {
    MESSAGE("SKIPPED: restic is not installed (" << kRestic << ")");
    return;
  }
  test::RunFixture f;
  make_repository(f);
  f.configure({"--seconds", "0.3"}, 10, "", offsite_yaml(f));
  REQUIRE(f.run().exit_code == 0);
  const auto summary = f.latest_summary();
  const std::string pre = summary["db_health"]["pre_session_backup"];
  const std::string post = summary["db_health"]["post_session_backup"];
  const auto rows_at_end = test::count_rows(f.dir / "backups" / post);

  // Another DB's snapshot in the same repository is never this DB's.
  test::write_file(f.dir / "other.db", "not this DB");
  const auto other_id = restic_backup(f, f.dir / "other.db", {"engine-supervisor", "db=other.db", "kind=bak"});

  auto listed = f.command({"backups", "--offsite", "--json"});
  INFO(listed.err);
  REQUIRE(listed.exit_code == 0);
  const auto rows = nlohmann::json::parse(listed.out);
  REQUIRE(rows.size() == 2);
  CHECK(rows[0]["file"] == post);  // newest first
  CHECK(rows[0]["kind"] == "post");
  CHECK(rows[1]["file"] == pre);
  CHECK(rows[1]["run_id"] == summary["run_id"]);
  const std::string pre_id = rows[1]["short_id"];
  const auto table = f.command({"backups", "--offsite"});
  CHECK(table.out.find("snapshot") == 0);
  CHECK(table.out.find(pre_id) != std::string::npos);

  // A newer snapshot of this DB that is damaged: --latest says so and takes
  // the next older one.
  const auto damaged = f.dir / "damaged" / post;
  fs::create_directories(damaged.parent_path());
  fs::copy_file(f.dir / "backups" / post, damaged);
  const auto page = static_cast<std::uintmax_t>(test::page_size_of(damaged));
  test::overwrite(damaged, page, fs::file_size(damaged) - page, 'Z');  // every page but the first
  restic_backup(f, damaged, {"engine-supervisor", "db=live.db", "kind=post"});

  // The live DB damaged in a page.
  test::overwrite(f.db(), 2 * test::page_size_of(f.db()) + 50, 200, 'Z');
  const auto restored = f.command({"restore", "--offsite", "--latest", "--yes"});
  INFO(restored.out, restored.err);
  REQUIRE(restored.exit_code == 0);
  CHECK(restored.err.find("does not pass integrity_check") != std::string::npos);
  CHECK(restored.err.find("trying the next older one") != std::string::npos);
  CHECK(restored.out.find("restored off-site snapshot " + rows[0]["short_id"].get<std::string>()) == 0);
  CHECK(test::count_rows(f.db()) == rows_at_end);
  CHECK_FALSE(download_folder_left(f));
  bool moved_aside = false;
  for (const auto& entry : fs::directory_iterator(f.dir.path())) {
    moved_aside = moved_aside || entry.path().filename().string().starts_with("live.db.replaced.");
  }
  CHECK(moved_aside);  // the damaged DB kept, never deleted
  CHECK(test::read_file(f.dir / "live.db.supervisor-history.jsonl").find("off-site snapshot") != std::string::npos);

  // A named snapshot, by its short id; a dry run changes nothing and leaves
  // no download. A download folder a killed restore left is said, not removed.
  fs::create_directory(f.dir / "backups" / "live.db.offsite-restore.999999999.tmp");
  const auto before = test::folder_contents(f.dir.path());
  const auto plan = f.command({"restore", "--offsite", pre_id, "--dry-run"});
  CHECK(plan.exit_code == 0);
  CHECK(plan.err.find("dry run: nothing was changed") != std::string::npos);
  CHECK(plan.err.find("live.db.offsite-restore.999999999.tmp was left by a restore --offsite that was cut off") !=
        std::string::npos);
  CHECK(fs::exists(f.dir / "backups" / "live.db.offsite-restore.999999999.tmp"));
  CHECK(test::folder_contents(f.dir.path()) == before);
  CHECK_FALSE(download_folder_left(f));

  // Another DB's snapshot, or one that does not exist: refused, nothing changed.
  const auto other = f.command({"restore", "--offsite", other_id.substr(0, 8), "--yes"});
  CHECK(other.exit_code == 64);
  CHECK(other.err.find("only snapshots tagged db=live.db are this DB's") != std::string::npos);
  CHECK(f.command({"restore", "--offsite", "deadbeef", "--yes"}).exit_code == 64);
  CHECK(test::folder_contents(f.dir.path()) == before);

  // Without an offsite: section, both commands say what is missing.
  f.configure({"--seconds", "0.3"});
  const auto none = f.command({"backups", "--offsite"});
  CHECK(none.exit_code == 64);
  CHECK(none.err.find("no offsite.restic_repository") != std::string::npos);
}

TEST_CASE("issue 13.2: offsite.keep_last and keep_daily are applied after a copy, at most once a day, and a forgotten backup is not copied again") {
  if (!have_restic()) {
    MESSAGE("SKIPPED: restic is not installed (" << kRestic << ")");
    return;
  }
  test::RunFixture f;
  make_repository(f);
  f.configure({"--seconds", "0.2"}, 10, "", offsite_yaml(f, "  keep_last: 1\n  keep_daily: 0\n"));
  REQUIRE(f.run().exit_code == 0);
  auto summary = f.latest_summary();
  auto offsite = summary["db_health"]["offsite"];
  INFO(offsite.dump());
  REQUIRE(offsite["keep_policy"].is_object());
  CHECK(offsite["keep_policy"]["forgotten"] == 1);
  CHECK(offsite["keep_policy"]["pruned"] == true);
  auto listed = snapshots(f);
  REQUIRE(listed.size() == 1);
  CHECK(fs::path(listed[0]["paths"][0].get<std::string>()).filename() ==
        summary["db_health"]["post_session_backup"].get<std::string>());
  const auto ledger = nlohmann::json::parse(test::read_file(f.dir / "live.db.supervisor-offsite.json"));
  CHECK(ledger["forgotten"] == nlohmann::json::array({summary["db_health"]["pre_session_backup"]}));

  // The next run copies only its own two, and does not forget again today.
  REQUIRE(f.run().exit_code == 0);
  summary = f.latest_summary();
  offsite = summary["db_health"]["offsite"];
  CHECK(files_of(offsite["copied"]) == std::set<std::string>{summary["db_health"]["pre_session_backup"],
                                                             summary["db_health"]["post_session_backup"]});
  CHECK(offsite["keep_policy"].is_null());
  CHECK(snapshots(f).size() == 3);

  // A day later, it does.
  auto aged = nlohmann::json::parse(test::read_file(f.dir / "live.db.supervisor-offsite.json"));
  aged["pruned_at"] = "2020-01-01T00:00:00Z";
  test::write_file(f.dir / "live.db.supervisor-offsite.json", aged.dump());
  REQUIRE(f.run().exit_code == 0);
  offsite = f.latest_summary()["db_health"]["offsite"];
  REQUIRE(offsite["keep_policy"].is_object());
  CHECK(offsite["keep_policy"]["forgotten"] == 4);
  CHECK(snapshots(f).size() == 1);
}

TEST_CASE("issue 13.2: a supervisor killed with SIGKILL mid-copy takes restic with it; the next run clears the stale lock and copies what is missing") {
  if (!have_restic()) {
    MESSAGE("SKIPPED: restic is not installed (" << kRestic << ")");
    return;
  }
  test::RunFixture f;
  fs::remove(f.db());
  test::make_big_db(f.db(), 100, /*random=*/true);
  make_repository(f);
  f.configure({"--seconds", "20"}, 10, "", offsite_yaml(f, "  wait_seconds: 300\n"));
  // restic must be reaped once dead: a zombie's pid answers kill(pid, 0),
  // and restic would take its lock for a live one's. Where init reaps
  // late (a container's), this test process takes the orphans in.
  REQUIRE(::prctl(PR_SET_CHILD_SUBREAPER, 1) == 0);
  test::ChildProcess run(f.run_argv());
  // restic holds its lock in the repository while it copies.
  const auto locked = [&] {
    std::error_code ec;
    return fs::exists(f.dir / "repo" / "locks", ec) && !fs::is_empty(f.dir / "repo" / "locks", ec);
  };
  REQUIRE(test::wait_until(locked, 60));
  // restic dies with the supervisor (PR_SET_PDEATHSIG), leaving its lock.
  std::vector<std::string> restic_pids;
  for (const auto& entry : fs::directory_iterator("/proc")) {
    std::ifstream cmdline(entry.path() / "cmdline");
    std::string text((std::istreambuf_iterator<char>(cmdline)), {});
    if (text.find(kRestic) == 0 && text.find(f.dir.path().string()) != std::string::npos) {
      restic_pids.push_back(entry.path().filename().string());
    }
  }
  run.send(SIGKILL);
  REQUIRE(run.wait_for(10).has_value());
  CHECK_FALSE(restic_pids.empty());
  CHECK(test::wait_until(
      [&] {
        while (::waitpid(-1, nullptr, WNOHANG) > 0) {
        }
        return std::none_of(restic_pids.begin(), restic_pids.end(),
                            [](const std::string& pid) { return fs::exists("/proc/" + pid); });
      },
      10));
  ::prctl(PR_SET_CHILD_SUBREAPER, 0);
  CHECK(locked());

  f.configure_command({"true"}, 10, "", offsite_yaml(f, "  wait_seconds: 300\n"));
  const auto next = f.run();
  INFO(next.err);
  CHECK(next.exit_code == 0);
  const auto offsite = f.latest_summary()["db_health"]["offsite"];
  INFO(offsite.dump());
  CHECK(offsite["failed"].empty());
  CHECK(offsite["copied"].size() == 3);  // the killed run's pre-session backup, and this run's two
  CHECK(offsite["keep_policy"].is_object());  // forget ran: the stale lock was removed
  if (locked()) {
    for (const auto& lock : fs::directory_iterator(f.dir / "repo" / "locks")) MESSAGE("lock left: " << lock.path());
  }
  CHECK_FALSE(locked());
}
