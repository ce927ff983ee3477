// The files nothing but the supervisor may write (issue 11, item 16): what
// `snapshot DEST` refuses, even with --replace. The command itself, with
// links and real runs, is in snapshot_replace_test.cpp.

#include "common/protected_files.hpp"

#include <doctest/doctest.h>

#include "support/temp_dir.hpp"
#include "support/test_db.hpp"

using namespace es;
namespace fs = std::filesystem;

namespace {

struct Layout {
  test::TempDir dir;
  ProtectedFiles files;
  Layout() {
    fs::create_directories(dir / "data");
    fs::create_directories(dir / "backups" / "live.db.evidence.20260101T000000Z");
    fs::create_directories(dir / "logs");
    files = {dir / "data" / "live.db", dir / "backups", dir / "logs", dir / "logs",
             dir / "engine-supervisor.yaml"};
  }
};

}  // namespace

TEST_CASE("issue 11.16: the supervisor's own files and the DB's are protected, written yet or not") {
  Layout l;
  const auto& d = l.dir;
  const std::pair<fs::path, const char*> cases[] = {
      {d / "data" / "live.db", "the live DB's own file"},
      {d / "data" / "live.db-journal", "-journal"},
      {d / "data" / "live.db-wal", "-wal"},
      {d / "data" / "live.db-shm", "-shm"},
      {d / "data" / "live.db.supervisor.lock", "session lock"},
      {d / "data" / "live.db.supervisor-history.jsonl", "run history"},
      {d / "data" / "live.db.supervisor-restore-plan.json", "supervisor's files"},
      {d / "data" / "live.db.replaced.20260101T000000Z", "moved aside"},
      {d / "data" / "live.db.replaced.20260101T000000Z-wal", "moved aside"},
      {d / "data" / "live.db.4242.tmp", "restore's temporary"},
      {d / "backups" / "live.db.bak.20260101T000000Z", "a backup of this DB"},
      {d / "backups" / "live.db.manual.20260101T000000Z-2", "a backup of this DB"},
      {d / "backups" / "live.db.post.20260101T000000Z.4242.tmp", "temporary of a backup"},
      {d / "backups" / "live.db.post.20260101T000000Z.4242.tmp-journal", "temporary of a backup"},
      {d / "backups" / "live.db.evidence.20260101T000000Z", "evidence folder"},
      {d / "backups" / "live.db.evidence.20260101T000000Z" / "live.db-journal", "evidence"},
      {d / "backups" / "live.db.evidence.20260101T000000Z" / "anything.db", "evidence"},
      {d / "logs" / "engine-supervisor.log", "logs"},
      {d / "logs" / "engine-supervisor.3.log", "logs"},
      {d / "logs" / "session-20260101T000000Z-42.log", "logs"},
      {d / "logs" / "session-20260101T000000Z-42.json", "logs"},
      {d / "logs" / "latest.json", "summaries"},
      {d / "logs" / "latest.json.4242.tmp", "summaries"},
      {d / "engine-supervisor.yaml", "config file"},
      // However it is spelled.
      {d / "logs" / ".." / "data" / "LIVE.DB.Supervisor-History.jsonl", "run history"},
      {d / "data" / "." / "live.db-journal", "-journal"},
  };
  for (const auto& [path, reason] : cases) {
    CAPTURE(path);
    const auto why = protected_file_reason(path, l.files);
    REQUIRE(why.has_value());
    CHECK(why->find(reason) != std::string::npos);
  }
}

TEST_CASE("issue 11.16: other names, beside the DB or among the logs, are free") {
  Layout l;
  const auto& d = l.dir;
  for (const auto& path :
       {d / "data" / "live.db.copy", d / "data" / "other.db", d / "data" / "live.db.snapshot.db",
        d / "backups" / "live.db.notes.txt", d / "backups" / "other.db.bak.20260101T000000Z",
        d / "logs" / "report.json", d / "reports" / "latest.json", d / "copy.db",
        d / "data" / "live.db.tmp"}) {
    CAPTURE(path);
    CHECK_FALSE(protected_file_reason(path, l.files).has_value());
  }
}
