// Issue 11.12: root and the engine's account. A dry run creates nothing; a
// root restore keeps the DB's owner, group and mode; what root creates for
// a DB another account owns (lock, history, logs, summaries) is given to it.
// Runs as root only (CI does); elsewhere it says so and skips.

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include "common/backup_store.hpp"
#include "support/run_fixture.hpp"
#include "support/temp_dir.hpp"
#include "support/test_db.hpp"

using namespace es;
namespace fs = std::filesystem;

namespace {

struct Account {
  uid_t uid;
  gid_t gid;
};

std::optional<Account> nobody() {
  if (::geteuid() != 0) return std::nullopt;
  const passwd* account = ::getpwnam("nobody");
  if (!account) return std::nullopt;
  return Account{account->pw_uid, account->pw_gid};
}

void give_all(const fs::path& folder, const Account& to) {
  REQUIRE(::chown(folder.c_str(), to.uid, to.gid) == 0);
  for (const auto& entry : fs::recursive_directory_iterator(folder)) {
    REQUIRE(::lchown(entry.path().c_str(), to.uid, to.gid) == 0);
  }
}

// A folder, a DB in it and a backup of it, all the account's.
struct AccountsDb {
  test::TempDir dir;
  fs::path db = dir / "live.db";
  explicit AccountsDb(const Account& account) {
    fs::permissions(dir.path(), fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec);
    test::make_db(db, 50);
    REQUIRE(BackupStore(db, dir.path()).take(BackupKind::kManual, {10}).has_value());
    give_all(dir.path(), account);
  }
  // `backup` run by the account: locked out by nothing root left.
  void check_account_can_work() const {
    const auto backup = test::run_command_unprivileged(
        {test::supervisor_binary(), "backup", "--db", db.string()}, dir.path());
    INFO(backup.err);
    CHECK(backup.exit_code == 0);
  }
};

struct stat status_of(const fs::path& path) {
  struct stat status {};
  REQUIRE(::lstat(path.c_str(), &status) == 0);
  return status;
}

}  // namespace

TEST_CASE("issue 11.12: as root, restore --dry-run beside a DB another account owns creates nothing, and that account then works") {
  const auto account = nobody();
  if (!account) {
    MESSAGE("skipped: issue 11.12 root tests need root and the account nobody");
    return;
  }
  const AccountsDb f(*account);
  const auto before = test::folder_contents(f.dir.path());
  const auto dry = test::run_command(
      {test::supervisor_binary(), "restore", "--latest", "--dry-run", "--db", f.db.string()});
  INFO(dry.err);
  CHECK(dry.exit_code == 0);
  CHECK(test::folder_contents(f.dir.path()) == before);
  f.check_account_can_work();
}

TEST_CASE("issue 11.12: a root restore keeps the DB's owner, group and mode, and gives the lock and history to its owner") {
  const auto account = nobody();
  if (!account) {
    MESSAGE("skipped: issue 11.12 root tests need root and the account nobody");
    return;
  }
  const AccountsDb f(*account);
  const auto& db = f.db;
  REQUIRE(::chmod(db.c_str(), 0640) == 0);
  const auto restored = test::run_command(
      {test::supervisor_binary(), "restore", "--latest", "--yes", "--db", db.string()});
  INFO(restored.err);
  REQUIRE(restored.exit_code == 0);
  const auto status = status_of(db);
  CHECK(status.st_uid == account->uid);
  CHECK(status.st_gid == account->gid);
  CHECK((status.st_mode & 07777) == 0640);
  for (const char* suffix : {".supervisor.lock", ".supervisor-history.jsonl"}) {
    CAPTURE(suffix);
    CHECK(status_of(db.string() + suffix).st_uid == account->uid);
  }
  f.check_account_can_work();
}

TEST_CASE("issue 11.12: a root run for a DB another account owns gives that account every file it makes") {
  const auto account = nobody();
  if (!account) {
    MESSAGE("skipped: issue 11.12 root tests need root and the account nobody");
    return;
  }
  test::RunFixture f;
  f.configure_command({"true"});
  fs::permissions(f.dir.path(), fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec);
  give_all(f.dir.path(), *account);
  const auto result = f.run();
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  std::vector<fs::path> made{f.dir / "logs", f.db().string() + ".supervisor.lock",
                             f.db().string() + ".supervisor-history.jsonl"};
  for (const auto& entry : fs::directory_iterator(f.dir / "logs")) made.push_back(entry.path());
  for (const auto& entry : fs::directory_iterator(f.dir / "backups")) made.push_back(entry.path());
  for (const auto& path : made) {
    CAPTURE(path);
    CHECK(status_of(path).st_uid == account->uid);
  }
  // And the account runs the next session itself.
  const auto next = test::run_command_unprivileged(f.run_argv(), f.dir.path());
  INFO(next.err);
  CHECK(next.exit_code == 0);
}
