#pragma once
// Real SQLite files for tests, and real damage to them: bytes flipped in real
// pages, zeroed pages, truncation. Plus a runner for the real executables.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace es::test {

// Creates a WAL-mode DB with a table `t(id, payload)` holding `rows` rows of
// `payload_bytes` each, plus an index, and checkpoints it into the main file.
void make_db(const std::filesystem::path& path, int rows = 200, int payload_bytes = 200);

// A WAL-mode DB of about `megabytes` MiB (table `big(id, b)` of 1 MiB
// blobs), fast to make: for a copy that takes long enough to be
// interrupted.
void make_big_db(const std::filesystem::path& path, int megabytes, bool random = false);

// A DB of one page with no table in it: what an engine that opened a new DB
// and set a pragma, but created nothing yet, leaves (and what a backup of a
// 0-byte DB used to be).
void make_schema_less_db(const std::filesystem::path& path);

// The state a killed engine leaves: `rows` more rows in `commits`
// transactions, committed into the -wal only, beside the -shm that indexes
// them. `db` must hold a DB made by make_db with no side files. Made by
// copying the files out from under a live writer, so it is the same on
// every platform.
void commit_in_wal_only(const std::filesystem::path& db, int rows, int commits = 1);

// The state a writer killed mid-transaction leaves in rollback mode: `db` in
// DELETE journal mode, with a hot -journal holding its pages from before
// `rows` more rows that were spilled into the main file and never committed.
// With `rows` 0, only switches `db` to DELETE journal mode.
void leave_hot_journal(const std::filesystem::path& db, int rows);

// Every file in `folder` (not recursive), name to bytes: equal before and
// after means nothing was changed, created or removed there.
std::map<std::string, std::string> folder_contents(const std::filesystem::path& folder);

std::int64_t count_rows(const std::filesystem::path& path, const std::string& table = "t");
// The rows of `table` for which the SQL `condition` holds; -1 if unreadable.
std::int64_t count_rows_where(const std::filesystem::path& path, const std::string& table,
                              const std::string& condition);
// The rows of a crashed transaction that leave_hot_journal left spilled
// into the DB (its 300-byte payloads): 0 once the journal is rolled back.
inline std::int64_t uncommitted_rows(const std::filesystem::path& path) {
  return count_rows_where(path, "t", "length(payload) = 300");
}
int page_size_of(const std::filesystem::path& path);

// Overwrites `length` bytes at `offset` with `byte` or with pseudo-random garbage.
void overwrite(const std::filesystem::path& path, std::uintmax_t offset, std::size_t length,
               int byte = -1);
void truncate_to(const std::filesystem::path& path, std::uintmax_t size);

std::string read_file(const std::filesystem::path& path);
// The DB's side file: side(db, "-wal") is live.db-wal beside live.db.
inline std::filesystem::path side(const std::filesystem::path& db, const char* suffix) {
  return std::filesystem::path(db.string() + suffix);
}
void write_file(const std::filesystem::path& path, const std::string& content);

struct CommandResult {
  int exit_code = -1;  // -1 if killed by a signal
  int signal = 0;
  std::string out;
  std::string err;
};

// Runs argv (no shell) to completion in `cwd`, capturing stdout and stderr.
CommandResult run_command(const std::vector<std::string>& argv,
                          const std::filesystem::path& cwd = std::filesystem::current_path());

// run_command, but as the unprivileged user `nobody` when the tests run as
// root, so that file permissions apply to the command.
CommandResult run_command_unprivileged(const std::vector<std::string>& argv,
                                       const std::filesystem::path& cwd = "/");

// A child started without waiting for it: for sending it real signals.
// Its stdout and stderr go to files (or to `unread_pipe`, a pipe nobody
// reads, when asked). The destructor kills it if it is still running.
class ChildProcess {
 public:
  struct Options {
    std::filesystem::path cwd = std::filesystem::current_path();
    bool output_to_unread_pipe = false;
  };
  ChildProcess(const std::vector<std::string>& argv, Options options);
  explicit ChildProcess(const std::vector<std::string>& argv) : ChildProcess(argv, Options{}) {}
  ChildProcess(const ChildProcess&) = delete;
  ~ChildProcess();

  int pid() const { return pid_; }
  void send(int signal) const;
  // Waits up to `seconds`; nullopt if it is still running then.
  std::optional<CommandResult> wait_for(double seconds);
  CommandResult wait();
  // What it has written to stdout and stderr so far.
  std::string out_so_far() const;
  std::string err_so_far() const;

 private:
  int pid_ = -1;
  int pipe_read_ = -1;
  std::filesystem::path out_file_, err_file_;
  std::optional<CommandResult> result_;
};

// Waits until `predicate` holds, up to `seconds`. Returns whether it held.
bool wait_until(const std::function<bool()>& predicate, double seconds);

// True while a process with this pid exists and is not a zombie.
bool process_alive(int pid);

// The engine-supervisor binary and the demo engine CMake built.
std::string supervisor_binary();
std::string demo_engine_binary();

}  // namespace es::test
