// demo-engine: a stand-in for the trading engine that engine-supervisor runs.
//
// It behaves like the real engine as far as the supervisor can tell: it is the
// only writer of a SQLite database in WAL mode, records one row in `sessions`
// per run (ended_at stays NULL until a clean shutdown), and writes orders and
// fills in small transactions. Tests drive the failure modes through flags.
//
// Usage: demo-engine [flags]
//   --db PATH            database file (default: $ENGINE_SUPERVISOR_DB)
//   --interval-ms N      one order+fill transaction every N ms (default 100)
//   --seconds S          run S seconds (fractions allowed), then close the
//                        session and exit; 0 = until stopped (default 0)
//   --exit-code N        exit status after a clean shutdown (default 0)
//   --marker FILE        write our pid to FILE before touching the database
//   --ignore-stop        ignore SIGINT/SIGTERM/SIGHUP (SIGBREAK on Windows)
//   --no-stop-handler    install no handler for them: a stop signal kills
//                        the engine at once, as it does `fossil server`
//   --crash-after-ms N   after N ms, abort() in the middle of a transaction
//   --flood-bytes N      after start, write at least N bytes of numbered
//                        100-byte lines to stdout ("flood <seq> xxx..."),
//                        then "flood-done <count>", then carry on
//   --stderr-line TEXT   print TEXT once to stderr at start
//   --exit-without-closing-db
//                        after closing the session, exit without closing the
//                        connection, as a process that calls exit() with its
//                        DB still open: the committed frames stay in the -wal
//   --leave-session-open exit as after a clean shutdown, but never write the
//                        session's ended_at: the audit's silent failure, for
//                        a db_checks invariant to catch
//   --detached-child     once its session row exists, start a copy of this
//                        engine (same --db, --interval-ms and --ignore-stop,
//                        trading until stopped, its pid in <marker>.child
//                        when --marker is given) that leaves the engine's
//                        process group, as a helper that calls setsid() does:
//                        POSIX fork, setsid, stdin/stdout/stderr on
//                        /dev/null (a daemon's; it outlives the supervisor's
//                        pipe), exec; Windows CREATE_NEW_PROCESS_GROUP and
//                        DETACHED_PROCESS, nothing inherited. It holds the DB
//                        open read-write.
//   --detached-grandchild
//                        the same through an intermediate process that exits
//                        at once (a daemon's double fork, Fossil's request
//                        helpers): the copy is orphaned while the engine runs.
//                        Windows: as --detached-child (a Job Object knows no
//                        parents).
//   --help               print this help
// Flags take their value as the next argument or as --flag=VALUE.
// Environment: ENGINE_SUPERVISOR_DB, ENGINE_SUPERVISOR_RUN_ID (default "manual").
// --seconds and --crash-after-ms count from when the session row exists and
// any flood is written, i.e. from the first transaction.
//
// Stdout protocol (each line flushed at once):
//   demo-engine: started pid=<pid> db=<path> run_id=<id>
//   demo-engine: started detached child pid=<pid>   (or "… detached grandchild")
//   committed txn <order_id>        printed only after COMMIT succeeded
//   demo-engine: stop requested (signal N), closing session
//   demo-engine: session <id> closed
//
// Exit status: the --exit-code value after a clean shutdown; 1 for a database
// or I/O error; 2 for a usage error; 3 when the session could not be closed;
// SIGABRT for --crash-after-ms.

#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <cstring>
#include <memory>
#include <vector>
#include <utility>
#include <vector>

#ifdef _WIN32
#include <windows.h>
// windows.h first: shellapi.h needs its types.
#include <fcntl.h>
#include <io.h>
#include <process.h>
#include <shellapi.h>
#else
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>
#endif

// ---------------------------------------------------------------------------
// Stop signals. The handler only records which signal arrived; the main loop
// polls the flag, so nothing async-signal-unsafe ever runs in the handler.

namespace {
volatile std::sig_atomic_t g_stop_signal = 0;
}  // namespace

extern "C" {
static void on_stop_signal(int sig) {
  g_stop_signal = sig;
#ifdef _WIN32
  // Windows resets the disposition to SIG_DFL before calling the handler;
  // re-arm so a second Ctrl+C is also a polite request, not a hard kill.
  std::signal(sig, on_stop_signal);
#endif
}
}

namespace {

constexpr int kExitDbError = 1;
constexpr int kExitUsage = 2;
constexpr int kExitSessionNotClosed = 3;

#ifdef _WIN32
constexpr std::array kStopSignals{SIGINT, SIGTERM, SIGBREAK};
#else
constexpr std::array kStopSignals{SIGINT, SIGTERM, SIGHUP};
#endif

void set_stop_disposition(bool ignore) {
  for (const int sig : kStopSignals) {
#ifdef _WIN32
    std::signal(sig, ignore ? SIG_IGN : on_stop_signal);
#else
    struct sigaction action {};
    action.sa_handler = ignore ? SIG_IGN : on_stop_signal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = 0;  // no SA_RESTART: a blocked call returns early
    sigaction(sig, &action, nullptr);
#endif
  }
}

int stop_signal() { return static_cast<int>(g_stop_signal); }

// ---------------------------------------------------------------------------
// Output. Every line is flushed immediately: the supervisor and the tests read
// stdout through a pipe, and a line stuck in our buffer when we are killed
// would make a committed transaction look lost.

void write_line(std::FILE* stream, const std::string& text) {
  const std::string line = text + '\n';
  std::fwrite(line.data(), 1, line.size(), stream);
  std::fflush(stream);
}

void out_line(const std::string& text) { write_line(stdout, text); }
void err_line(const std::string& text) { write_line(stderr, "demo-engine: " + text); }

long long current_pid() {
#ifdef _WIN32
  return _getpid();
#else
  return static_cast<long long>(getpid());
#endif
}

std::string utc_now_iso8601() {
  using namespace std::chrono;
  const auto now = system_clock::now();
  const auto whole_seconds = floor<seconds>(now);
  const auto millis = duration_cast<milliseconds>(now - whole_seconds).count();
  const std::time_t t = system_clock::to_time_t(whole_seconds);
  std::tm tm{};
#ifdef _WIN32
  gmtime_s(&tm, &t);
#else
  gmtime_r(&t, &tm);
#endif
  std::array<char, 32> date{};
  std::strftime(date.data(), date.size(), "%Y-%m-%dT%H:%M:%S", &tm);
  std::array<char, 64> full{};
  std::snprintf(full.data(), full.size(), "%s.%03dZ", date.data(), static_cast<int>(millis));
  return full.data();
}

// ---------------------------------------------------------------------------
// Errors. Failures travel as exceptions to main(), which prints them and picks
// the exit status; unwinding finalizes statements and closes the connection.

struct Failure : std::runtime_error {
  int exit_code;
  Failure(const std::string& message, int code) : std::runtime_error(message), exit_code(code) {}
};

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// ---------------------------------------------------------------------------
// Options.

struct Options {
  std::string db_path;
  std::string run_id = "manual";
  int interval_ms = 100;
  double seconds = 0.0;
  int exit_code = 0;
  std::optional<std::string> marker;
  bool ignore_stop = false;
  bool no_stop_handler = false;
  std::optional<long long> crash_after_ms;
  unsigned long long flood_bytes = 0;
  std::optional<std::string> stderr_line;
  bool exit_without_closing_db = false;
  bool leave_session_open = false;
  enum class Detached { kNone, kChild, kGrandchild } detached = Detached::kNone;
  bool help = false;
};

constexpr std::string_view kUsage =
    "usage: demo-engine [--db PATH] [--interval-ms N] [--seconds S] [--exit-code N]\n"
    "                   [--marker FILE] [--ignore-stop] [--no-stop-handler] [--crash-after-ms N]\n"
    "                   [--flood-bytes N] [--stderr-line TEXT] [--exit-without-closing-db]\n"
    "                   [--leave-session-open] [--detached-child | --detached-grandchild]\n"
    "The database defaults to $ENGINE_SUPERVISOR_DB; the run id is taken from\n"
    "$ENGINE_SUPERVISOR_RUN_ID (default \"manual\").\n";

template <typename Number>
Number parse_number(std::string_view flag, std::string_view text, Number min, Number max) {
  Number value{};
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc{} || ptr != end || !(value >= min && value <= max)) {
    throw UsageError("bad value for " + std::string(flag) + ": '" + std::string(text) + "'");
  }
  return value;
}

std::string non_empty(std::string_view flag, std::string_view text) {
  if (text.empty()) throw UsageError(std::string(flag) + " needs a non-empty value");
  return std::string(text);
}

#ifdef _WIN32
// Windows hands out the environment and the command line in the ANSI code
// page; the supervisor's paths are UTF-8 (and may hold any character), so
// read the wide forms and convert.
std::string utf8_of(const wchar_t* wide) {
  const int size = WideCharToMultiByte(CP_UTF8, 0, wide, -1, nullptr, 0, nullptr, nullptr);
  std::string text(static_cast<std::size_t>(size > 0 ? size - 1 : 0), '\0');
  if (size > 1) WideCharToMultiByte(CP_UTF8, 0, wide, -1, text.data(), size, nullptr, nullptr);
  return text;
}
#endif

const char* env_or_null(const char* name) {
#ifdef _WIN32
  static std::vector<std::unique_ptr<std::string>> kept;  // outlives the returned pointer
  const std::wstring wide_name(name, name + std::strlen(name));
  const wchar_t* wide = _wgetenv(wide_name.c_str());
  if (wide == nullptr || *wide == L'\0') return nullptr;
  kept.push_back(std::make_unique<std::string>(utf8_of(wide)));
  return kept.back()->c_str();
#else
  const char* value = std::getenv(name);
  return (value != nullptr && *value != '\0') ? value : nullptr;
#endif
}

Options parse_options(int argc, char** argv) {
  Options opt;
  const std::vector<std::string_view> args(argv + 1, argv + argc);
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string_view flag = args[i];
    std::optional<std::string_view> inline_value;
    if (const auto eq = flag.find('='); flag.starts_with("--") && eq != std::string_view::npos) {
      inline_value = flag.substr(eq + 1);
      flag = flag.substr(0, eq);
    }
    const auto value = [&]() -> std::string_view {
      if (inline_value) return *inline_value;
      if (i + 1 >= args.size()) throw UsageError(std::string(flag) + " needs a value");
      return args[++i];
    };
    const auto no_value = [&] {
      if (inline_value) throw UsageError(std::string(flag) + " takes no value");
    };

    if (flag == "--db") {
      opt.db_path = non_empty(flag, value());
    } else if (flag == "--interval-ms") {
      opt.interval_ms = parse_number(flag, value(), 0, 3'600'000);
    } else if (flag == "--seconds") {
      const double s = parse_number(flag, value(), 0.0, 1e9);
      if (!std::isfinite(s)) throw UsageError("bad value for --seconds");
      opt.seconds = s;
    } else if (flag == "--exit-code") {
      opt.exit_code = parse_number(flag, value(), 0, 255);
    } else if (flag == "--marker") {
      opt.marker = non_empty(flag, value());
    } else if (flag == "--ignore-stop") {
      no_value();
      opt.ignore_stop = true;
    } else if (flag == "--no-stop-handler") {
      no_value();
      opt.no_stop_handler = true;
    } else if (flag == "--leave-session-open") {
      no_value();
      opt.leave_session_open = true;
    } else if (flag == "--crash-after-ms") {
      opt.crash_after_ms = parse_number(flag, value(), 0LL, 1'000'000'000LL);
    } else if (flag == "--flood-bytes") {
      opt.flood_bytes = parse_number(flag, value(), 0ULL, 1ULL << 40);
    } else if (flag == "--stderr-line") {
      opt.stderr_line = std::string(value());
    } else if (flag == "--exit-without-closing-db") {
      no_value();
      opt.exit_without_closing_db = true;
    } else if (flag == "--detached-child") {
      no_value();
      opt.detached = Options::Detached::kChild;
    } else if (flag == "--detached-grandchild") {
      no_value();
      opt.detached = Options::Detached::kGrandchild;
    } else if (flag == "--help" || flag == "-h") {
      no_value();
      opt.help = true;
    } else {
      throw UsageError("unknown flag '" + std::string(args[i]) + "'");
    }
  }

  if (opt.db_path.empty() && !opt.help) {
    const char* env_db = env_or_null("ENGINE_SUPERVISOR_DB");
    if (env_db == nullptr) throw UsageError("no database: pass --db PATH or set ENGINE_SUPERVISOR_DB");
    opt.db_path = env_db;
  }
  if (const char* run_id = env_or_null("ENGINE_SUPERVISOR_RUN_ID")) opt.run_id = run_id;
  return opt;
}

// ---------------------------------------------------------------------------
// SQLite ownership.

class Database {
 public:
  explicit Database(const std::string& path) {
    const int rc = sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
    if (rc != SQLITE_OK) {
      const std::string message = db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
      sqlite3_close(db_);
      db_ = nullptr;
      throw Failure("cannot open " + path + ": " + message + " (code " + std::to_string(rc) + ")",
                    kExitDbError);
    }
    // Extended codes tell e.g. SQLITE_IOERR_FSYNC apart from a generic I/O error.
    sqlite3_extended_result_codes(db_, 1);
  }
  ~Database() {
    if (db_ == nullptr) return;
    // A failed close would mean a leaked statement or an unfinished transaction;
    // we cannot throw from here, but we can refuse to be quiet about it.
    if (const int rc = sqlite3_close(db_); rc != SQLITE_OK) {
      err_line("ERROR: closing database: " + std::string(sqlite3_errmsg(db_)) + " (code " +
               std::to_string(rc) + ")");
    }
  }
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  sqlite3* get() const { return db_; }

  // Throws if rc is not one of the expected codes. The message is taken at once,
  // before any rollback can overwrite the connection's error state.
  void check(int rc, const std::string& what, int expected = SQLITE_OK, int exit_code = kExitDbError) const {
    if (rc != expected) throw failure(rc, what, exit_code);
  }

  Failure failure(int rc, const std::string& what, int exit_code = kExitDbError) const {
    return Failure(what + ": " + sqlite3_errmsg(db_) + " (code " + std::to_string(rc) + ")", exit_code);
  }

  void exec(const char* sql) const { check(sqlite3_exec(db_, sql, nullptr, nullptr, nullptr), sql); }

  bool in_transaction() const { return sqlite3_get_autocommit(db_) == 0; }

 private:
  sqlite3* db_ = nullptr;
};

class Statement {
 public:
  Statement(const Database& db, const char* sql) : db_(db) {
    db_.check(sqlite3_prepare_v2(db_.get(), sql, -1, &stmt_, nullptr), std::string("prepare: ") + sql);
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // Text is bound without copying (destructor nullptr == SQLITE_STATIC); callers
  // keep the string alive until step() returns, and reset() drops the binding.
  Statement& bind(int index, const std::string& text) {
    return checked(sqlite3_bind_text(stmt_, index, text.c_str(), static_cast<int>(text.size()), nullptr));
  }
  Statement& bind(int index, long long value) { return checked(sqlite3_bind_int64(stmt_, index, value)); }
  Statement& bind(int index, double value) { return checked(sqlite3_bind_double(stmt_, index, value)); }

  // Runs the statement once; returns the raw step code (SQLITE_ROW/SQLITE_DONE
  // or an error) so that callers decide what counts as success.
  int step() { return sqlite3_step(stmt_); }

  // Runs a statement that must finish without rows, then makes it reusable.
  void run(const std::string& what) {
    if (const int rc = step(); rc != SQLITE_DONE) {
      const Failure error = db_.failure(rc, what);  // before reset() touches the error state
      reset();
      throw error;
    }
    reset();
  }

  std::string column_text(int index) const {
    const unsigned char* text = sqlite3_column_text(stmt_, index);
    return text != nullptr ? std::string(reinterpret_cast<const char*>(text)) : std::string();
  }
  long long column_int(int index) const { return sqlite3_column_int64(stmt_, index); }

  void reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }

 private:
  Statement& checked(int rc) {
    db_.check(rc, "bind");
    return *this;
  }

  const Database& db_;
  sqlite3_stmt* stmt_ = nullptr;
};

// ---------------------------------------------------------------------------
// Database setup and the session row.

// Asks for a pragma value and reads it back: SQLite answers an impossible
// journal_mode by silently keeping the old one, which must not go unnoticed.
std::string query_pragma(const Database& db, const char* sql) {
  Statement stmt(db, sql);
  const int rc = stmt.step();
  db.check(rc, sql, SQLITE_ROW);
  return stmt.column_text(0);
}

void configure(const Database& db) {
  db.check(sqlite3_busy_timeout(db.get(), 5000), "busy_timeout");
  if (const auto mode = query_pragma(db, "PRAGMA journal_mode=WAL"); mode != "wal") {
    throw Failure("PRAGMA journal_mode=WAL left the journal mode at '" + mode + "'", kExitDbError);
  }
  db.exec("PRAGMA synchronous=FULL");
  if (const auto sync = query_pragma(db, "PRAGMA synchronous"); sync != "2") {
    throw Failure("PRAGMA synchronous=FULL did not stick (value " + sync + ")", kExitDbError);
  }
}

void create_schema(const Database& db) {
  db.exec(
      "CREATE TABLE IF NOT EXISTS sessions("
      "id INTEGER PRIMARY KEY, run_id TEXT, started_at TEXT NOT NULL, ended_at TEXT)");
  db.exec(
      "CREATE TABLE IF NOT EXISTS orders("
      "id INTEGER PRIMARY KEY, session_id INTEGER, symbol TEXT, side TEXT, qty INTEGER, "
      "price REAL, created_at TEXT)");
  db.exec(
      "CREATE TABLE IF NOT EXISTS fills("
      "id INTEGER PRIMARY KEY, order_id INTEGER, qty INTEGER, price REAL, created_at TEXT)");
  db.exec("CREATE INDEX IF NOT EXISTS orders_session_id ON orders(session_id)");
}

long long open_session(const Database& db, const std::string& run_id) {
  Statement insert(db, "INSERT INTO sessions(run_id, started_at, ended_at) VALUES(?, ?, NULL)");
  const std::string started_at = utc_now_iso8601();
  insert.bind(1, run_id).bind(2, started_at);
  insert.run("insert session");
  return sqlite3_last_insert_rowid(db.get());
}

// A clean shutdown is exactly "ended_at got written". If that fails the run
// must not look clean, so this is the one error with its own exit status.
void close_session(const Database& db, long long session_id) {
  const std::string what = "failed to close session " + std::to_string(session_id);
  Statement update(db, "UPDATE sessions SET ended_at=? WHERE id=?");
  const std::string ended_at = utc_now_iso8601();
  update.bind(1, ended_at).bind(2, session_id);
  const int rc = update.step();
  db.check(rc, what, SQLITE_DONE, kExitSessionNotClosed);
  if (const int changed = sqlite3_changes(db.get()); changed != 1) {
    // No SQLite error here: the row is gone (or duplicated), which is just as bad.
    throw Failure(what + ": UPDATE changed " + std::to_string(changed) + " rows, expected 1 (code " +
                      std::to_string(rc) + ")",
                  kExitSessionNotClosed);
  }
  update.reset();
  out_line("demo-engine: session " + std::to_string(session_id) + " closed");
}

// ---------------------------------------------------------------------------
// Trading activity.

class OrderWriter {
 public:
  OrderWriter(const Database& db, long long session_id)
      : db_(db),
        session_id_(session_id),
        insert_order_(db, "INSERT INTO orders(session_id, symbol, side, qty, price, created_at) "
                          "VALUES(?, ?, ?, ?, ?, ?)"),
        insert_fill_(db, "INSERT INTO fills(order_id, qty, price, created_at) VALUES(?, ?, ?, ?)"),
        rng_(static_cast<std::uint64_t>(current_pid()) ^
             static_cast<std::uint64_t>(std::chrono::system_clock::now().time_since_epoch().count())) {}

  // One order and its fill, committed together. Returns the order id only once
  // COMMIT has succeeded, so whatever the caller reports is durable.
  long long commit_one() {
    try {
      db_.exec("BEGIN IMMEDIATE");
      const Order order = insert_order();
      insert_fill(order);
      db_.exec("COMMIT");
      return order.id;
    } catch (...) {
      rollback_quietly();
      throw;
    }
  }

  // For --crash-after-ms: leave a write transaction open and die, as a crashing
  // engine would. The uncommitted order must not survive.
  [[noreturn]] void crash_mid_transaction() {
    db_.exec("BEGIN IMMEDIATE");
    const Order order = insert_order();
    err_line("crashing with order " + std::to_string(order.id) + " uncommitted");
    std::fflush(stdout);
    std::abort();
  }

 private:
  struct Order {
    long long id;
    long long qty;
    double price;
  };

  Order insert_order() {
    static constexpr std::array<const char*, 6> kSymbols{"AAPL", "MSFT", "GOOG", "AMZN", "NVDA", "TSLA"};
    const std::string symbol = kSymbols[pick(0, kSymbols.size() - 1)];
    const std::string side = pick(0, 1) == 0 ? "BUY" : "SELL";
    const auto qty = static_cast<long long>(pick(1, 100)) * 10;
    const double price = static_cast<double>(pick(1000, 50000)) / 100.0;  // whole cents
    const std::string created_at = utc_now_iso8601();
    insert_order_.bind(1, session_id_).bind(2, symbol).bind(3, side).bind(4, qty).bind(5, price).bind(6, created_at);
    insert_order_.run("insert order");
    return Order{sqlite3_last_insert_rowid(db_.get()), qty, price};
  }

  void insert_fill(const Order& order) {
    const std::string created_at = utc_now_iso8601();
    insert_fill_.bind(1, order.id).bind(2, order.qty).bind(3, order.price).bind(4, created_at);
    insert_fill_.run("insert fill");
  }

  std::size_t pick(std::size_t low, std::size_t high) {
    return std::uniform_int_distribution<std::size_t>(low, high)(rng_);
  }

  // The original error is already on its way up; a failing ROLLBACK is still
  // reported, but must not replace it.
  void rollback_quietly() noexcept {
    if (!db_.in_transaction()) return;
    if (const int rc = sqlite3_exec(db_.get(), "ROLLBACK", nullptr, nullptr, nullptr); rc != SQLITE_OK) {
      err_line("ERROR: ROLLBACK: " + std::string(sqlite3_errmsg(db_.get())) + " (code " + std::to_string(rc) +
               ")");
    }
  }

  const Database& db_;
  long long session_id_;
  Statement insert_order_;
  Statement insert_fill_;
  std::mt19937_64 rng_;
};

// ---------------------------------------------------------------------------
// Start-up chores.

// Written to a temporary name and renamed, so a test polling for the marker
// never reads a half-written pid.
void write_marker(const std::string& path) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream file(tmp, std::ios::binary | std::ios::trunc);
    file << current_pid() << '\n';
    file.close();
    if (!file) throw Failure("cannot write marker file " + tmp, kExitDbError);
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) throw Failure("cannot create marker file " + path + ": " + ec.message(), kExitDbError);
}

// Floods stdout to test that the supervisor drains the pipe (a full pipe would
// block us forever). Lines are exactly 100 bytes, numbered from 1; a stop
// request cuts the flood short so the engine stays responsive.
void flood_stdout(unsigned long long bytes) {
  constexpr std::size_t kLineBytes = 100;
  constexpr std::size_t kChunkBytes = std::size_t{1} << 20;
  std::string chunk;
  chunk.reserve(kChunkBytes + kLineBytes);
  unsigned long long written = 0;
  unsigned long long seq = 0;
  while (written < bytes && stop_signal() == 0) {
    chunk.clear();
    while (chunk.size() + kLineBytes <= kChunkBytes && written + chunk.size() < bytes) {
      const std::size_t start = chunk.size();
      chunk += "flood " + std::to_string(++seq) + ' ';
      chunk.append(kLineBytes - 1 - (chunk.size() - start), 'x');
      chunk += '\n';
    }
    if (std::fwrite(chunk.data(), 1, chunk.size(), stdout) != chunk.size()) {
      throw Failure("flood: writing to stdout failed", kExitDbError);
    }
    written += chunk.size();
  }
  out_line("flood-done " + std::to_string(seq));
}

// ---------------------------------------------------------------------------
// A detached copy, for --detached-child and --detached-grandchild: a process
// the engine starts that tries to leave it, and keeps the DB open meanwhile.

std::vector<std::string> copy_arguments(const Options& opt, const std::string& program) {
  std::vector<std::string> args{program, "--db", opt.db_path, "--interval-ms",
                                std::to_string(opt.interval_ms)};
  if (opt.marker) {
    args.push_back("--marker");
    args.push_back(*opt.marker + ".child");
  }
  if (opt.ignore_stop) args.push_back("--ignore-stop");
  return args;
}

#ifdef _WIN32
// One argument as CommandLineToArgvW reads it back.
std::wstring quote_for_windows(const std::wstring& arg) {
  std::wstring quoted = L"\"";
  std::size_t backslashes = 0;
  for (const wchar_t c : arg) {
    if (c == L'\\') {
      ++backslashes;
      continue;
    }
    quoted.append(c == L'"' ? backslashes * 2 + 1 : backslashes, L'\\');
    backslashes = 0;
    quoted.push_back(c);
  }
  quoted.append(backslashes * 2, L'\\');
  quoted.push_back(L'"');
  return quoted;
}

std::wstring wide_of(const std::string& utf8) {
  const int size = MultiByteToWideChar(CP_UTF8, 0, utf8.data(), static_cast<int>(utf8.size()), nullptr, 0);
  std::wstring wide(static_cast<std::size_t>(size), L'\0');
  MultiByteToWideChar(CP_UTF8, 0, utf8.data(), static_cast<int>(utf8.size()), wide.data(), size);
  return wide;
}

void start_detached_copy(const Options& opt) {
  std::wstring program(32768, L'\0');
  program.resize(GetModuleFileNameW(nullptr, program.data(), static_cast<DWORD>(program.size())));
  std::wstring line = quote_for_windows(program);
  const auto args = copy_arguments(opt, "");
  for (std::size_t i = 1; i < args.size(); ++i) line += L" " + quote_for_windows(wide_of(args[i]));
  STARTUPINFOW startup{};
  startup.cb = sizeof startup;
  PROCESS_INFORMATION info{};
  if (!CreateProcessW(nullptr, line.data(), nullptr, nullptr, FALSE,
                      CREATE_NEW_PROCESS_GROUP | DETACHED_PROCESS, nullptr, nullptr, &startup, &info)) {
    throw Failure("cannot start the detached child: error " + std::to_string(GetLastError()), kExitDbError);
  }
  CloseHandle(info.hThread);
  CloseHandle(info.hProcess);
  out_line("demo-engine: started detached child pid=" + std::to_string(info.dwProcessId));
}
#else
void start_detached_copy(const Options& opt) {
  std::error_code ec;
  auto program = std::filesystem::read_symlink("/proc/self/exe", ec).string();
  const auto args = copy_arguments(opt, program);
  std::vector<char*> argv;  // built before fork: nothing allocates after it
  for (const auto& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  const bool through_intermediate = opt.detached == Options::Detached::kGrandchild;
  std::fflush(nullptr);
  const pid_t child = fork();
  if (child < 0) throw Failure("cannot fork the detached child", kExitDbError);
  if (child == 0) {
    if (through_intermediate) {
      const pid_t grandchild = fork();
      if (grandchild != 0) _exit(grandchild > 0 ? 0 : 1);
    }
    setsid();  // out of the engine's process group and session
    const int null_fd = open("/dev/null", O_RDWR);
    if (null_fd >= 0) {
      dup2(null_fd, 0);
      dup2(null_fd, 1);
      dup2(null_fd, 2);
    }
    execv(argv[0], argv.data());
    _exit(127);
  }
  if (through_intermediate) {
    int status = 0;
    waitpid(child, &status, 0);  // the intermediate exits at once
  }
  out_line(std::string("demo-engine: started detached ") +
           (through_intermediate ? "grandchild" : "child pid=" + std::to_string(child)));
}
#endif

// ---------------------------------------------------------------------------
// Main loop.

using Clock = std::chrono::steady_clock;

struct Schedule {
  Clock::time_point start = Clock::now();
  std::optional<Clock::time_point> deadline;   // --seconds
  std::optional<Clock::time_point> crash_at;   // --crash-after-ms

  bool deadline_passed() const { return deadline && Clock::now() >= *deadline; }
  bool crash_due() const { return crash_at && Clock::now() >= *crash_at; }
};

Schedule make_schedule(const Options& opt) {
  Schedule s;
  if (opt.seconds > 0) {
    s.deadline = s.start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(opt.seconds));
  }
  if (opt.crash_after_ms) s.crash_at = s.start + std::chrono::milliseconds(*opt.crash_after_ms);
  return s;
}

// Sleeps until `until` in short slices, returning early when anything needs the
// loop's attention; a stop request is thus seen within ~20 ms.
void wait_until(Clock::time_point until, const Schedule& schedule) {
  constexpr auto kSlice = std::chrono::milliseconds(20);
  for (;;) {
    const auto now = Clock::now();
    if (now >= until || stop_signal() != 0 || schedule.deadline_passed() || schedule.crash_due()) return;
    auto wake = std::min(until, now + kSlice);
    if (schedule.deadline) wake = std::min(wake, *schedule.deadline);
    if (schedule.crash_at) wake = std::min(wake, *schedule.crash_at);
    std::this_thread::sleep_until(wake);
  }
}

void trade_until_stopped(const Options& opt, OrderWriter& writer) {
  const Schedule schedule = make_schedule(opt);
  const auto interval = std::chrono::milliseconds(opt.interval_ms);
  for (;;) {
    if (const int sig = stop_signal(); sig != 0) {
      out_line("demo-engine: stop requested (signal " + std::to_string(sig) + "), closing session");
      return;
    }
    if (schedule.deadline_passed()) return;
    if (schedule.crash_due()) writer.crash_mid_transaction();

    const auto txn_start = Clock::now();
    const long long order_id = writer.commit_one();
    out_line("committed txn " + std::to_string(order_id));
    wait_until(txn_start + interval, schedule);
  }
}

int run(const Options& opt) {
  // The marker proves the engine was launched; it must exist before the
  // database is touched so tests can tell "never started" from "failed early".
  if (opt.marker) write_marker(*opt.marker);
  out_line("demo-engine: started pid=" + std::to_string(current_pid()) + " db=" + opt.db_path +
           " run_id=" + opt.run_id);
  if (opt.stderr_line) write_line(stderr, *opt.stderr_line);
  if (opt.ignore_stop) out_line("demo-engine: ignoring stop requests");

  const Database db(opt.db_path);
  configure(db);
  create_schema(db);
  const long long session_id = open_session(db, opt.run_id);
  if (opt.detached != Options::Detached::kNone) start_detached_copy(opt);
  {
    OrderWriter writer(db, session_id);
    if (opt.flood_bytes > 0) flood_stdout(opt.flood_bytes);
    trade_until_stopped(opt, writer);
  }  // statements finalized here; closing the session needs none of them
  if (opt.leave_session_open) {
    // As the incident's engine did: its close failed, and said so only at
    // debug level. Here it says so on stdout, where the session log keeps it.
    out_line("demo-engine: session " + std::to_string(session_id) +
             " left open (--leave-session-open)");
  } else {
    close_session(db, session_id);
  }
  if (opt.exit_without_closing_db) {
    // Skips every destructor: the connection is never closed, so SQLite
    // neither checkpoints nor deletes the -wal, and the OS drops the locks.
    std::fflush(nullptr);
    std::_Exit(opt.exit_code);
  }
  return opt.exit_code;
}

}  // namespace

int main(int argc, char** argv) {
#ifdef _WIN32
  // Byte-identical output on every platform: no "\n" -> "\r\n" translation.
  _setmode(_fileno(stdout), _O_BINARY);
#endif
  // Handlers first, so a stop request during start-up is not a hard kill;
  // --ignore-stop then overrides them (it must win, so it comes second).
  set_stop_disposition(false);

#ifdef _WIN32
  int wide_count = 0;
  wchar_t** wide_argv = CommandLineToArgvW(GetCommandLineW(), &wide_count);
  std::vector<std::string> utf8_args;
  for (int i = 0; i < wide_count; ++i) utf8_args.push_back(utf8_of(wide_argv[i]));
  LocalFree(wide_argv);
  std::vector<char*> utf8_argv;
  for (auto& arg : utf8_args) utf8_argv.push_back(arg.data());
  argc = static_cast<int>(utf8_argv.size());
  argv = utf8_argv.data();
#endif
  Options opt;
  try {
    opt = parse_options(argc, argv);
  } catch (const UsageError& e) {
    err_line(std::string(e.what()) + " (see --help)");
    return kExitUsage;
  }
  if (opt.help) {
    std::fwrite(kUsage.data(), 1, kUsage.size(), stdout);
    return 0;
  }
  if (opt.ignore_stop) set_stop_disposition(true);
  if (opt.no_stop_handler) {
    for (const int sig : kStopSignals) std::signal(sig, SIG_DFL);
  }

  try {
    return run(opt);
  } catch (const Failure& e) {
    err_line(std::string("ERROR: ") + e.what());
    return e.exit_code;
  } catch (const std::exception& e) {
    err_line(std::string("ERROR: ") + e.what());
    return kExitDbError;
  }
}
