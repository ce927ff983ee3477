// Ctrl+C in the middle of `backup` or `snapshot` (issue 11, item 14),
// through the real binary and a real SIGINT while a big DB is being copied:
// on f343d74 the process died at once and left its temporary and the
// temporary's -journal (112 MB and 169 MB in the report). Now the copy is
// abandoned, and both go, as in `run`.

#include <signal.h>

#include <algorithm>

#include <doctest/doctest.h>

#include "support/temp_dir.hpp"
#include "support/test_db.hpp"

using namespace es;
namespace fs = std::filesystem;

namespace {

constexpr int kDbMegabytes = 200;  // a copy of about a second here

// The first file in `folder` whose name ends with `end_text`, and its size.
std::optional<std::pair<fs::path, std::uintmax_t>> find_file(const fs::path& folder,
                                                             const std::string& end_text) {
  std::error_code ec;
  for (fs::directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec)) {
    if (!it->path().filename().string().ends_with(end_text)) continue;
    std::error_code size_error;
    const auto size = fs::file_size(it->path(), size_error);
    if (!size_error) return std::make_pair(it->path(), size);
  }
  return std::nullopt;
}

std::vector<std::string> names_in(const fs::path& folder) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(folder)) {
    names.push_back(entry.path().filename().string());
  }
  return names;
}

// Starts `argv` in `cwd`, waits until its temporary (a name ending ".tmp" in
// `folder`) has some of the DB and not all, sends SIGINT, and waits for the
// end.
test::CommandResult interrupt_mid_copy(const std::vector<std::string>& argv, const fs::path& cwd,
                                       const fs::path& folder, const fs::path& db) {
  const auto db_bytes = fs::file_size(db);
  test::ChildProcess child(argv, test::ChildProcess::Options{cwd});
  std::uintmax_t seen = 0;
  const bool mid_copy = test::wait_until(
      [&] {
        const auto temp = find_file(folder, ".tmp");
        if (!temp) return false;
        seen = temp->second;
        return seen > db_bytes / 20;
      },
      60);
  CAPTURE(seen);
  REQUIRE(mid_copy);
  CHECK(seen < db_bytes);  // the signal lands mid-copy, not after it
  child.send(SIGINT);
  const auto ended = child.wait_for(30);
  REQUIRE(ended.has_value());
  return *ended;
}

std::string fmt_names(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += n + " ";
  return out;
}

}  // namespace

TEST_CASE("issue 11.14: Ctrl+C during `backup` abandons the copy and removes its temporary and -journal") {
  test::TempDir dir;
  const auto db = dir / "live.db";
  test::make_big_db(db, kDbMegabytes);
  // With --db the backups go beside the DB.
  const auto result = interrupt_mid_copy({test::supervisor_binary(), "backup", "--db", db.string()},
                                         dir.path(), dir.path(), db);
  CAPTURE(result.err);
  CHECK(result.signal == 0);  // it ended on its own, after its cleanup
  CHECK(result.exit_code == 74);
  CHECK(result.err.find("stop requested: abandoning the backup of " + db.string()) !=
        std::string::npos);
  CHECK(result.err.find("abandoned: a stop was requested") != std::string::npos);
  CHECK(result.out.empty());
  // Only the DB, and the supervisor's own log folder: no backup, no
  // temporary, no -journal.
  auto names = names_in(dir.path());
  std::sort(names.begin(), names.end());
  CAPTURE(fmt_names(names));
  names.erase(std::remove(names.begin(), names.end(), "logs"), names.end());
  CHECK(names == std::vector<std::string>{"live.db"});
}

TEST_CASE("issue 11.14: Ctrl+C during `snapshot` abandons the copy and removes its temporary and -journal") {
  test::TempDir dir;
  const auto db = dir / "live.db";
  test::make_big_db(db, kDbMegabytes);
  fs::create_directory(dir / "out");
  const auto dest = dir / "out" / "for-analysis.db";
  const auto result = interrupt_mid_copy(
      {test::supervisor_binary(), "snapshot", dest.string(), "--db", db.string()}, dir.path(),
      dir / "out", db);
  CAPTURE(result.err);
  CHECK(result.signal == 0);
  CHECK(result.exit_code == 74);
  CHECK(result.err.find("stop requested: abandoning the snapshot of " + db.string()) !=
        std::string::npos);
  CHECK(result.out.empty());
  CHECK(fs::is_empty(dir / "out"));  // no snapshot, no temporary, no -journal
}
