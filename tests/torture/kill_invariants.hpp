#pragma once
// What must hold after a process of a run was killed with SIGKILL, as values a
// test can check and print: no engine left, every file under a backup name
// verifies, the summary and the history parse, every transaction the engine
// reported committed is in the DB. Shared by the engine-kill and
// supervisor-kill torture tests. Blocking; one thread.

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/run_history.hpp"
#include "support/run_fixture.hpp"

namespace es::torture {

// The line that reruns one iteration of `test_name`, for INFO.
std::string reproduce_line(const std::string& test_name, std::uint64_t iteration_seed);

// True once the engine whose pid the fixture's marker holds is gone (or no
// engine was started), waiting up to `seconds`.
bool engine_gone(const test::RunFixture& fixture, double seconds);

struct BackupAudit {
  int verified = 0;                   // files under a backup name that verify
  std::vector<std::string> failures;  // "<name>: <why>" for those that do not
  std::vector<std::string> others;    // anything else in the folder (temporaries)
};

// Runs a full integrity_check on every regular file in the backup folder
// whose name parse_backup_name() accepts for the DB. A file already verified
// and unchanged since (same inode, size and mtime) is not checked again, so
// that a long run does not spend its time re-reading old backups.
class BackupAuditor {
 public:
  BackupAuditor(std::filesystem::path backup_dir, std::string db_file_name)
      : backup_dir_(std::move(backup_dir)), db_file_(std::move(db_file_name)) {}
  BackupAudit audit();

 private:
  struct Identity {
    std::uintmax_t inode = 0, size = 0;
    std::int64_t mtime_ns = 0;
    bool operator==(const Identity&) const = default;
  };
  std::filesystem::path backup_dir_;
  std::string db_file_;
  std::map<std::string, Identity> verified_;
};

struct HistoryAudit {
  LoadedHistory loaded;
  std::vector<std::string> problems;  // load() warnings and lines that are not JSON
};

// Reads the DB's run history both ways: RunHistory::load(), and each raw line
// as JSON on its own.
HistoryAudit audit_history(const std::filesystem::path& db);

// nullopt when `latest.json` is absent or parses; else why it does not.
std::optional<std::string> latest_summary_problem(const std::filesystem::path& summary_dir);

// The order ids of "[engine stdout] committed txn N" lines in a session log.
std::set<std::int64_t> committed_ids_in_log(const std::filesystem::path& session_log);

// The ids of `orders` in the DB, read through a read-only connection.
std::set<std::int64_t> order_ids(const std::filesystem::path& db);

// The run of this history whose supervisor had `supervisor_pid` (run ids end
// in "-<pid>"), if it was recorded.
std::optional<RunRecord> run_of_supervisor(const LoadedHistory& history, int supervisor_pid);

// One per line, for messages.
std::string join_lines(const std::vector<std::string>& lines);

// Sorted text of a few numbers, for messages.
std::string describe(const std::vector<std::int64_t>& ids, std::size_t at_most = 10);

}  // namespace es::torture
