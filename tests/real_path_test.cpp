// real_path and resolve_db_path on real symlinks, folders and a FIFO.
#include "common/real_path.hpp"

#include <sys/stat.h>

#include <doctest/doctest.h>

#include "common/db_real_path.hpp"
#include "support/temp_dir.hpp"
#include "support/test_db.hpp"

using namespace es;
namespace fs = std::filesystem;

namespace {

// A DB in real/, and the ways to reach it through links/.
struct Linked {
  test::TempDir dir;
  fs::path real_dir = fs::canonical(dir.path()) / "real";
  fs::path db = real_dir / "live.db";
  fs::path links = fs::canonical(dir.path()) / "links";
  Linked() {
    fs::create_directories(real_dir);
    fs::create_directories(links);
    test::make_db(db, 5);
  }
};

}  // namespace

TEST_CASE("issue 11.1: real_path resolves a file symlink, a folder symlink and .. to the real file") {
  Linked f;
  fs::create_symlink(f.db, f.links / "alias.db");
  fs::create_symlink("../real", f.links / "folder");
  fs::create_symlink("alias.db", f.links / "alias-of-alias.db");
  CHECK(real_path(f.links / "alias.db") == f.db);
  CHECK(real_path(f.links / "alias-of-alias.db") == f.db);
  CHECK(real_path(f.links / "folder" / "live.db") == f.db);
  CHECK(real_path(f.links / ".." / "real" / "live.db") == f.db);
  CHECK(real_path(f.db) == f.db);
  // Not there yet: the folder is resolved, and a dangling link leads to
  // where SQLite would create the file.
  CHECK(real_path(f.links / "folder" / "new.db") == f.real_dir / "new.db");
  fs::create_symlink(f.real_dir / "later.db", f.links / "later.db");
  CHECK(real_path(f.links / "later.db") == f.real_dir / "later.db");
}

TEST_CASE("issue 11.1: real_path leaves alone what is no regular file, a loop and a missing folder") {
  Linked f;
  REQUIRE(::mkfifo((f.real_dir / "fifo").c_str(), 0600) == 0);
  fs::create_symlink(f.real_dir / "fifo", f.links / "fifo.db");
  fs::create_symlink("/dev/zero", f.links / "zero.db");
  fs::create_symlink(f.links / "loop-b", f.links / "loop-a");
  fs::create_symlink(f.links / "loop-a", f.links / "loop-b");
  CHECK(real_path(f.links / "fifo.db") == f.links / "fifo.db");
  CHECK(real_path(f.links / "zero.db") == f.links / "zero.db");
  CHECK(real_path(f.real_dir) == f.real_dir);
  CHECK(real_path(f.links / "loop-a") == f.links / "loop-a");
  CHECK(real_path(f.links / "nowhere" / "live.db") == f.links / "nowhere" / "live.db");
}

TEST_CASE("issue 11.1: resolve_db_path points the DB and its default backup folder at the real file") {
  Linked f;
  fs::create_symlink(f.db, f.links / "alias.db");
  DatabaseConfig beside;
  beside.path = f.links / "alias.db";
  beside.path_as_configured = "alias.db";
  beside.backup_dir = f.links;  // the default: the DB's own folder
  resolve_db_path(beside);
  CHECK(beside.path == f.db);
  CHECK(beside.backup_dir == f.real_dir);
  CHECK(beside.path_as_configured == "alias.db");

  DatabaseConfig elsewhere = beside;
  elsewhere.path = f.links / "alias.db";
  elsewhere.backup_dir = f.dir / "backups";  // chosen: kept
  resolve_db_path(elsewhere);
  CHECK(elsewhere.path == f.db);
  CHECK(elsewhere.backup_dir == f.dir / "backups");
}
