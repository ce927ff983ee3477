// es-gate-bench: is our startup check at most 0.75 of the time the sqlite3
// CLI needs for the same work done one step after another?
//
// It builds a WAL DB of about --size-mb MB (customers and orders with random
// text, three indexes plus a UNIQUE one). Then, --runs times, it alternates:
//   (a) es::run_startup_check: the full integrity gate on one thread while the
//       other copies the DB with the backup API, quick_checks the copy and
//       renames it into place;
//   (b) one `sqlite3 -bail` process fed a script: PRAGMA integrity_check;
//       .backup 'copy'; .open 'copy'; PRAGMA quick_check.
// Each run also times the proposal of RESULTS.md (the same flow with a bigger
// page cache for the check), the pieces alone, and VACUUM INTO, the backup
// method we did not choose, so RESULTS.md can say what dominates and why.
// On Linux each run records how busy other processes kept the CPUs.
//
// Markdown goes to stdout, progress to stderr. The CLI is started through
// std::system with POSIX shell quoting. Single-threaded, apart from the
// backup thread of run_startup_check and of the proposal.

#include <sqlite3.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <iostream>
#include <iterator>
#include <memory>
#include <optional>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "common/backup_store.hpp"
#include "common/fs_ops.hpp"
#include "common/integrity_check.hpp"
#include "common/integrity_gate.hpp"
#include "common/shell_command.hpp"
#include "common/sqlite_db.hpp"
#include "common/startup_check.hpp"

namespace {

namespace fs = std::filesystem;
using SteadyClock = std::chrono::steady_clock;

// The acceptance target: ours / CLI, medians.
constexpr double kTargetRatio = 0.75;

// Above this share of the CPUs busy with other work, a run is disturbed:
// ours needs both cores, the CLI one, so load from elsewhere skews the ratio.
constexpr double kDisturbedLoad = 0.10;

struct Options {
  int size_mb = 1024;
  int runs = 5;
  int warmups = 1;
  fs::path dir;  // empty: a fresh folder under the system temp dir
  bool keep = false;
  bool reuse = false;
  std::string sqlite3_cli = "sqlite3";
  // A bench-only variant of the check with a bigger page cache. 0 (the default): not timed;
  // run_integrity_check itself has used a 64 MiB cache since RESULTS.md proposed it.
  int proposal_cache_mib = 0;
  int wait_quiet_seconds = 0;   // before each run, wait up to this long for a quiet machine
};

// A setup step that failed: the benchmark cannot go on. Timed steps that
// fail are not thrown; they are reported as samples that are not ok.
[[noreturn]] void fail(const std::string& what) { throw std::runtime_error(what); }

void check(const es::Result<void>& result) {
  if (!result) fail(result.error().message);
}

std::string fixed(double value, int digits = 2) {
  std::ostringstream out;
  out.setf(std::ios::fixed);
  out.precision(digits);
  out << value;
  return out.str();
}

std::string mib(std::uintmax_t bytes) {
  return fixed(static_cast<double>(bytes) / (1024.0 * 1024.0), 1) + " MiB";
}

std::uintmax_t size_or_zero(const fs::path& path) {
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  return ec ? 0 : size;
}

fs::path with_suffix(const fs::path& path, const char* suffix) {
  return fs::path(path.string() + suffix);
}

// A DB and the -wal/-shm files SQLite may leave beside it.
void remove_database_files(const fs::path& db) {
  std::error_code ec;
  fs::remove(db, ec);
  fs::remove(with_suffix(db, "-wal"), ec);
  fs::remove(with_suffix(db, "-shm"), ec);
  fs::remove(with_suffix(db, "-journal"), ec);
}

// Removes everything inside `folder`, keeping the folder: between runs, so
// that neither retention nor free space differ from one run to the next.
void empty_folder(const fs::path& folder) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(folder, ec)) fs::remove_all(entry.path(), ec);
}

// ---------------------------------------------------------------------------
// The folder the benchmark works in.

// A fresh temp folder is ours and is removed whole. In a folder the user
// named (--dir) only the files the benchmark made are removed, so pointing
// it at a folder with other things in it never loses them.
class Workspace {
 public:
  explicit Workspace(const Options& options) : keep_(options.keep) {
    if (options.dir.empty()) {
      root_ = make_temp_folder();
      owned_ = true;
    } else {
      root_ = fs::absolute(options.dir);
      fs::create_directories(root_);
    }
    fs::create_directories(backup_dir());
    fs::create_directories(scratch());
  }
  Workspace(const Workspace&) = delete;
  ~Workspace() {
    if (keep_) {
      std::cerr << "kept " << root_ << "\n";
      return;
    }
    std::error_code ec;
    if (owned_) {
      fs::remove_all(root_, ec);
      return;
    }
    remove_database_files(db());
    fs::remove_all(backup_dir(), ec);
    fs::remove_all(scratch(), ec);
  }

  const fs::path& root() const { return root_; }
  fs::path db() const { return root_ / "es-gate-bench.db"; }
  fs::path backup_dir() const { return root_ / "es-gate-bench-backups"; }
  fs::path scratch() const { return root_ / "es-gate-bench-scratch"; }

 private:
  static fs::path make_temp_folder() {
    std::random_device seed;
    std::mt19937_64 random(seed());
    for (;;) {
      auto path = fs::temp_directory_path() / ("es-gate-bench-" + std::to_string(random()));
      if (fs::create_directory(path)) return path;
    }
  }

  fs::path root_;
  bool owned_ = false;
  bool keep_ = false;
};

// ---------------------------------------------------------------------------
// Building the DB.

struct StatementDeleter {
  void operator()(sqlite3_stmt* statement) const { sqlite3_finalize(statement); }
};
using Statement = std::unique_ptr<sqlite3_stmt, StatementDeleter>;

Statement prepare(es::SqliteDb& db, const char* sql) {
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db.get(), sql, -1, &raw, nullptr) != SQLITE_OK) {
    sqlite3_finalize(raw);
    fail(std::string("prepare of ") + sql + " failed: " + sqlite3_errmsg(db.get()));
  }
  return Statement(raw);
}

void step_done(es::SqliteDb& db, sqlite3_stmt* statement) {
  if (sqlite3_step(statement) != SQLITE_DONE) {
    fail(std::string("insert failed: ") + sqlite3_errmsg(db.get()));
  }
  sqlite3_reset(statement);
}

void bind_text(sqlite3_stmt* statement, int index, const std::string& text) {
  sqlite3_bind_text(statement, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
}

// Seeded, so every run of the benchmark builds the same DB.
class RandomText {
 public:
  std::int64_t between(std::int64_t low, std::int64_t high) {
    return std::uniform_int_distribution<std::int64_t>(low, high)(random_);
  }
  std::string words(int min_words, int max_words) {
    static constexpr std::array<const char*, 32> kWords = {
        "deliver", "before",  "noon",    "fragile",  "leave",    "parcel",    "at",     "door",
        "gift",    "wrap",    "invoice", "attached", "customer", "called",    "about",  "late",
        "order",   "replace", "damaged", "item",     "express",  "shipping",  "please", "ring",
        "bell",    "twice",   "return",  "label",    "missing",  "warehouse", "stock",  "back"};
    const auto count = between(min_words, max_words);
    std::string text;
    for (std::int64_t i = 0; i < count; ++i) {
      if (i > 0) text += ' ';
      text += kWords[static_cast<std::size_t>(
          between(0, static_cast<std::int64_t>(kWords.size()) - 1))];
    }
    return text;
  }

 private:
  std::mt19937_64 random_{20260422};
};

constexpr const char* kSchema = R"sql(
  PRAGMA journal_mode=WAL;
  CREATE TABLE customers(
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    email TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL);
  CREATE INDEX customers_name ON customers(name);
  CREATE TABLE orders(
    id INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers(id),
    placed_at INTEGER NOT NULL,
    status TEXT NOT NULL,
    total_cents INTEGER NOT NULL,
    note TEXT NOT NULL);
  CREATE INDEX orders_customer ON orders(customer_id, placed_at);
  CREATE INDEX orders_status ON orders(status, placed_at);
)sql";

// Big transactions (about 7 MB each), since a commit per row would take
// hours. The DB overshoots --size-mb by at most one of them.
constexpr int kOrdersPerTransaction = 20000;
constexpr int kOrdersPerCustomer = 20;

struct DbShape {
  std::uintmax_t bytes = 0;  // main file, after the builder closed
  std::int64_t pages = 0;
  std::int64_t page_size = 0;
  std::int64_t customers = 0;
  std::int64_t orders = 0;
  double build_seconds = 0;
};

class Builder {
 public:
  explicit Builder(es::SqliteDb& db)
      : db_(db),
        customer_(prepare(db,
                          "INSERT INTO customers(id, name, email, created_at) "
                          "VALUES (?1, ?2, ?3, ?4)")),
        order_(prepare(db,
                       "INSERT INTO orders(customer_id, placed_at, status, total_cents, "
                       "note) VALUES (?1, ?2, ?3, ?4, ?5)")) {}

  void add_batch() {
    check(db_.execute("BEGIN", "begin"));
    for (int i = 0; i < kOrdersPerTransaction / kOrdersPerCustomer; ++i) add_customer();
    for (int i = 0; i < kOrdersPerTransaction; ++i) add_order();
    check(db_.execute("COMMIT", "commit"));
  }
  std::int64_t customers() const { return customers_; }
  std::int64_t orders() const { return orders_; }

 private:
  void add_customer() {
    ++customers_;
    sqlite3_bind_int64(customer_.get(), 1, customers_);
    bind_text(customer_.get(), 2, text_.words(2, 3));
    bind_text(customer_.get(), 3, "customer" + std::to_string(customers_) + "@example.com");
    sqlite3_bind_int64(customer_.get(), 4, clock_);
    step_done(db_, customer_.get());
  }
  void add_order() {
    static constexpr std::array<const char*, 5> kStatus = {"new", "paid", "shipped", "delivered",
                                                           "returned"};
    ++orders_;
    clock_ += text_.between(1, 30);
    // Random customers: the orders_customer index grows by inserts all over
    // the tree, as a real one does, not by appends only.
    sqlite3_bind_int64(order_.get(), 1, text_.between(1, customers_));
    sqlite3_bind_int64(order_.get(), 2, clock_);
    sqlite3_bind_text(order_.get(), 3, kStatus[static_cast<std::size_t>(text_.between(0, 4))], -1,
                      SQLITE_STATIC);
    sqlite3_bind_int64(order_.get(), 4, text_.between(100, 500000));
    bind_text(order_.get(), 5, text_.words(10, 70));
    step_done(db_, order_.get());
  }

  es::SqliteDb& db_;
  Statement customer_;
  Statement order_;
  RandomText text_;
  std::int64_t customers_ = 0;
  std::int64_t orders_ = 0;
  std::int64_t clock_ = 1'700'000'000;
};

std::int64_t query_int(es::SqliteDb& db, const char* sql) {
  auto value = db.query_int(sql, sql);
  if (!value) fail(value.error().message);
  return *value;
}

std::int64_t database_bytes(es::SqliteDb& db) {
  return query_int(db, "PRAGMA page_count") * query_int(db, "PRAGMA page_size");
}

// Leaves a WAL-mode DB with the default autocheckpoint. Closing the last
// connection checkpoints and deletes the -wal, so the timed runs read a DB
// whose content is in the main file, as after any clean engine exit.
DbShape build_database(const fs::path& path, int size_mb) {
  const auto start = SteadyClock::now();
  remove_database_files(path);
  auto db = es::SqliteDb::open_owned(path, true);
  if (!db) fail(db.error().message);
  // The build's own speed only: a bigger cache for the random index inserts.
  check(db->execute("PRAGMA cache_size=-262144", "cache_size"));
  check(db->execute(kSchema, "creating the schema"));
  const std::int64_t target = std::int64_t{size_mb} * 1024 * 1024;
  Builder builder(*db);
  while (database_bytes(*db) < target) {
    builder.add_batch();
    std::cerr << "\rbuilding " << mib(static_cast<std::uintmax_t>(database_bytes(*db))) << " of "
              << size_mb << " MiB" << std::flush;
  }
  std::cerr << "\n";
  DbShape shape;
  shape.customers = builder.customers();
  shape.orders = builder.orders();
  shape.build_seconds = std::chrono::duration<double>(SteadyClock::now() - start).count();
  return shape;
}

// Reads the shape of an existing DB (also of one kept from an earlier run).
void measure_shape(const fs::path& path, DbShape& shape) {
  auto db = es::SqliteDb::open_read_only(path);
  if (!db) fail(db.error().message);
  shape.pages = query_int(*db, "PRAGMA page_count");
  shape.page_size = query_int(*db, "PRAGMA page_size");
  shape.customers = query_int(*db, "SELECT count(*) FROM customers");
  shape.orders = query_int(*db, "SELECT count(*) FROM orders");
  if (query_int(*db, "SELECT count(*) FROM pragma_journal_mode WHERE journal_mode='wal'") != 1) {
    fail(path.string() + " is not in WAL mode");
  }
  shape.bytes = size_or_zero(path);
}

// ---------------------------------------------------------------------------
// How busy the rest of the machine was. The timed steps use both cores, so a
// compiler running beside the benchmark slows ours far more than the
// one-core CLI; each run reports that share so noisy runs can be told apart.
// Linux only (/proc); elsewhere it is not reported.

struct CpuTicks {
  double machine_busy = 0;  // all CPUs, including steal (time the hypervisor gave away)
  double machine_total = 0;
  double own = 0;  // this process and its waited-for children (the sqlite3 CLI)
};

std::optional<double> read_machine_ticks(double& busy) {
  std::ifstream in("/proc/stat");
  std::string cpu;
  double user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0;
  if (!(in >> cpu >> user >> nice >> system >> idle >> iowait >> irq >> softirq >> steal) ||
      cpu != "cpu") {
    return std::nullopt;
  }
  busy = user + nice + system + irq + softirq + steal;
  return busy + idle + iowait;
}

std::optional<double> read_own_ticks() {
  std::ifstream in("/proc/self/stat");
  std::string line;
  if (!std::getline(in, line)) return std::nullopt;
  // The command name may hold spaces; the fields that follow it do not.
  std::istringstream fields(line.substr(line.rfind(')') + 2));
  std::string field;
  double utime = 0, stime = 0, cutime = 0, cstime = 0;
  for (int i = 3; i < 14; ++i) fields >> field;  // state .. cmajflt
  if (!(fields >> utime >> stime >> cutime >> cstime)) return std::nullopt;
  return utime + stime + cutime + cstime;
}

std::optional<CpuTicks> read_cpu_ticks() {
  CpuTicks ticks;
  const auto total = read_machine_ticks(ticks.machine_busy);
  const auto own = read_own_ticks();
  if (!total || !own) return std::nullopt;
  ticks.machine_total = *total;
  ticks.own = *own;
  return ticks;
}

// Both /proc files count in the same clock ticks (USER_HZ).
std::optional<double> others_share(const std::optional<CpuTicks>& before,
                                   const std::optional<CpuTicks>& after) {
  if (!before || !after || after->machine_total <= before->machine_total) return std::nullopt;
  const double others = (after->machine_busy - before->machine_busy) - (after->own - before->own);
  return std::max(0.0, others / (after->machine_total - before->machine_total));
}

// On a shared machine: waits until other work has used at most
// kDisturbedLoad of the CPUs for kQuietSamples samples in a row, or until
// `limit` has passed. Returns whether it got quiet. It only helps each run
// start in a quiet moment; the run's own "other load" still tells whether it
// stayed quiet.
bool wait_for_quiet(std::chrono::seconds limit) {
  constexpr auto kSample = std::chrono::seconds(5);
  constexpr int kQuietSamples = 3;
  const auto deadline = SteadyClock::now() + limit;
  int quiet = 0;
  while (SteadyClock::now() < deadline) {
    const auto before = read_cpu_ticks();
    std::this_thread::sleep_for(kSample);
    const auto share = others_share(before, read_cpu_ticks());
    if (!share) return false;
    quiet = *share <= kDisturbedLoad ? quiet + 1 : 0;
    if (quiet == kQuietSamples) return true;
  }
  return false;
}

// ---------------------------------------------------------------------------
// The timed steps.

template <class Body>
double seconds_of(Body&& body) {
  const auto start = SteadyClock::now();
  body();
  return std::chrono::duration<double>(SteadyClock::now() - start).count();
}

struct Sample {
  double seconds = 0;
  bool ok = false;
};

// One run of everything that is timed.
struct Run {
  Sample ours;
  double ours_check = 0;   // the gate's integrity_check, while the backup ran beside it
  double ours_backup = 0;  // the backup (copy, verify, commit), while the gate ran
  Sample cli;
  Sample proposal;  // run_startup_check's flow with a bigger cache for the check
  Sample check_alone;
  Sample cached_check_alone;  // the proposal's check, alone
  Sample copy_alone;          // backup API, step(-1), plus fsync
  Sample quick_alone;         // quick_check of that copy
  Sample vacuum_alone;        // VACUUM INTO, plus fsync
  Sample vacuum_quick;        // quick_check of that copy
  std::uintmax_t copy_bytes = 0;
  std::uintmax_t vacuum_bytes = 0;
  std::optional<double> others_cpu;  // share of all CPUs busy with other work during the run
};

void warn(const std::string& what) { std::cerr << "NOT OK: " << what << "\n"; }

// Our gate: exactly what `engine-supervisor run` does before the engine
// starts with a full check and pre-session backups on.
void time_startup_check(const Workspace& workspace, Run& run) {
  es::StartupCheckRequest request;
  request.gate =
      es::GateRequest{workspace.db(), workspace.backup_dir(), es::CheckMode::kFull, false, ""};
  request.run_gate = true;
  request.take_backup = true;
  request.backup_kind = es::BackupKind::kPreSession;
  es::StartupCheck result;
  run.ours.seconds = seconds_of([&] { result = es::run_startup_check(request); });
  run.ours.ok = result.gate.passed() && result.gate.report.ok() && result.backup.has_value();
  run.ours_check = result.gate.report.seconds;
  if (result.backup) run.ours_backup = result.backup->seconds;
  if (result.gate.failure) warn("gate: " + result.gate.failure->message);
  if (result.backup_error) warn("backup: " + result.backup_error->message);
  empty_folder(workspace.backup_dir());
}

// std::system() runs /bin/sh: quote for it, whatever the platform's operators use.
std::string posix_quote(const std::string& argument) {
  return es::quote_argument(argument, es::ShellStyle::kPosix);
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The CLI's script: the three steps, one after another, in one process.
// -bail stops it at the first error.
fs::path write_cli_script(const Workspace& workspace) {
  const auto copy = workspace.scratch() / "cli-copy.db";
  if (copy.string().find('\'') != std::string::npos) fail("path has a quote: " + copy.string());
  const auto script = workspace.scratch() / "cli-script.sql";
  std::ofstream out(script);
  out << "PRAGMA integrity_check;\n"
      << ".backup '" << copy.string() << "'\n"
      << ".open '" << copy.string() << "'\n"
      << "PRAGMA quick_check;\n";
  if (!out.flush()) fail("could not write " + script.string());
  return script;
}

void time_cli(const Workspace& workspace, const Options& options, const fs::path& script,
              Run& run) {
  const auto output = workspace.scratch() / "cli-output.txt";
  const std::string command = posix_quote(options.sqlite3_cli) + " -batch -bail " +
                              posix_quote(workspace.db().string()) + " < " +
                              posix_quote(script.string()) + " > " +
                              posix_quote(output.string()) + " 2>&1";
  int status = -1;
  run.cli.seconds = seconds_of([&] { status = std::system(command.c_str()); });
  const auto said = read_text(output);
  run.cli.ok = status == 0 && said == "ok\nok\n";
  if (!run.cli.ok) warn("sqlite3 CLI (status " + std::to_string(status) + "): " + said);
  remove_database_files(workspace.scratch() / "cli-copy.db");
  std::error_code ec;
  fs::remove(output, ec);
}

Sample time_check(const fs::path& db, es::CheckMode mode) {
  Sample sample;
  es::CheckReport report;
  sample.seconds = seconds_of([&] { report = es::run_integrity_check(db, mode); });
  sample.ok = report.ok();
  if (!sample.ok)
    warn(std::string(es::to_string(mode)) + " of " + db.string() + ": " + report.first_failure());
  return sample;
}

// The backup API as BackupStore uses it, and the fsync it does at commit;
// without the fsync the copy would be timed into the page cache only.
Sample time_backup_api(const fs::path& db, const fs::path& target) {
  Sample sample;
  es::Result<void> done;
  sample.seconds = seconds_of([&] {
    done = es::create_private_file(target);
    if (done) {
      auto copied = es::copy_database(db, target);
      if (!copied) done = copied.error();
    }
    if (done) done = es::sync_file(target);
  });
  sample.ok = done.has_value();
  if (!done) warn(done.error().message);
  return sample;
}

// VACUUM INTO from a read-only connection, as the gate opens the live DB.
Sample time_vacuum_into(const fs::path& db, const fs::path& target) {
  Sample sample;
  es::Result<void> done;
  sample.seconds = seconds_of([&] {
    auto source = es::SqliteDb::open_read_only(db);
    if (!source) {
      done = source.error();
      return;
    }
    done = source->execute("VACUUM INTO '" + target.string() + "'", "VACUUM INTO");
    if (done) done = es::sync_file(target);
  });
  sample.ok = done.has_value();
  if (!done) warn(done.error().message);
  return sample;
}

// PRAGMA integrity_check as run_integrity_check does it, but with a page
// cache of `cache_mib` instead of SQLite's 2 MiB: the index probes of the
// check then hit memory instead of costing a pread each.
bool full_check_with_cache(const fs::path& db, int cache_mib) {
  auto connection = es::SqliteDb::open_read_only(db);
  if (!connection) return false;
  const auto pragma = "PRAGMA cache_size=-" + std::to_string(std::int64_t{cache_mib} * 1024);
  if (!connection->execute(pragma, "cache_size")) return false;
  auto statement = es::SqliteStatement::prepare(*connection, "PRAGMA integrity_check(100)");
  if (!statement) return false;
  std::vector<std::string> rows;
  int rc = SQLITE_ROW;
  while ((rc = statement->step()) == SQLITE_ROW) rows.push_back(statement->column_text(0));
  return rc == SQLITE_DONE && rows == std::vector<std::string>{"ok"};
}

Sample time_cached_check(const fs::path& db, int cache_mib) {
  Sample sample;
  sample.seconds = seconds_of([&] { sample.ok = full_check_with_cache(db, cache_mib); });
  if (!sample.ok) warn("integrity_check with a " + std::to_string(cache_mib) + " MiB cache");
  return sample;
}

// The change RESULTS.md proposes, tried before it is made: run_startup_check's
// control flow (prepare the backup on a second thread, check, commit only if
// both passed), with full_check_with_cache as the gate's check. A bench-only
// copy; the production code is unchanged.
void time_proposal(const Workspace& workspace, int cache_mib, Run& run) {
  const es::BackupStore store(workspace.db(), workspace.backup_dir());
  run.proposal.seconds = seconds_of([&] {
    auto prepared = std::async(std::launch::async,
                               [&store] { return store.prepare(es::BackupKind::kPreSession); });
    const bool check_ok = full_check_with_cache(workspace.db(), cache_mib);
    auto copy = prepared.get();
    if (!check_ok || !copy) return;
    run.proposal.ok = store.commit(std::move(*copy), {10}).has_value();
  });
  if (!run.proposal.ok) warn("the proposal's check or backup");
  empty_folder(workspace.backup_dir());
}

// The pieces one at a time: what the CLI's sum is made of, and the backup
// method we did not choose.
void time_pieces_alone(const Workspace& workspace, const Options& options, Run& run) {
  const auto copy = workspace.scratch() / "api-copy.db";
  const auto vacuumed = workspace.scratch() / "vacuum-copy.db";
  run.check_alone = time_check(workspace.db(), es::CheckMode::kFull);
  if (options.proposal_cache_mib > 0) {
    run.cached_check_alone = time_cached_check(workspace.db(), options.proposal_cache_mib);
  }
  run.copy_alone = time_backup_api(workspace.db(), copy);
  run.quick_alone = time_check(copy, es::CheckMode::kQuick);
  run.copy_bytes = size_or_zero(copy);
  remove_database_files(copy);
  run.vacuum_alone = time_vacuum_into(workspace.db(), vacuumed);
  run.vacuum_quick = time_check(vacuumed, es::CheckMode::kQuick);
  run.vacuum_bytes = size_or_zero(vacuumed);
  remove_database_files(vacuumed);
}

// ABAB: ours, then the CLI, then the proposal and the pieces, run after run, so that neither
// side always meets the page cache in the state the other left.
std::vector<Run> time_runs(const Workspace& workspace, const Options& options) {
  const auto script = write_cli_script(workspace);
  for (int i = 0; i < options.warmups; ++i) {
    std::cerr << "warm-up " << i + 1 << " (not counted)\n";
    Run ignored;
    time_startup_check(workspace, ignored);
    time_cli(workspace, options, script, ignored);
  }
  std::vector<Run> runs;
  for (int i = 0; i < options.runs; ++i) {
    if (options.wait_quiet_seconds > 0 &&
        !wait_for_quiet(std::chrono::seconds(options.wait_quiet_seconds))) {
      std::cerr << "the machine did not get quiet; running anyway\n";
    }
    Run run;
    const auto before = read_cpu_ticks();
    time_startup_check(workspace, run);
    time_cli(workspace, options, script, run);
    if (options.proposal_cache_mib > 0) time_proposal(workspace, options.proposal_cache_mib, run);
    time_pieces_alone(workspace, options, run);
    run.others_cpu = others_share(before, read_cpu_ticks());
    std::cerr << "run " << i + 1 << "/" << options.runs << ": ours " << run.ours.seconds
              << " s, CLI " << run.cli.seconds << " s, other load "
              << (run.others_cpu ? fixed(*run.others_cpu * 100, 0) + "%" : "n/a") << "\n";
    runs.push_back(run);
  }
  return runs;
}

// ---------------------------------------------------------------------------
// The report.

struct Stats {
  double median = 0;
  double min = 0;
  double max = 0;
};

Stats stats_of(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const auto n = values.size();
  const double median = n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
  return Stats{median, values.front(), values.back()};
}

template <class Field>
Stats stats_of(const std::vector<Run>& runs, Field field) {
  std::vector<double> values;
  for (const auto& run : runs) values.push_back(field(run));
  return stats_of(std::move(values));
}

void print_row(const std::string& label, const Stats& stats) {
  std::cout << "| " << label << " | " << fixed(stats.median) << " | " << fixed(stats.min) << " | "
            << fixed(stats.max) << " |\n";
}

double median_of(const std::vector<Run>& runs, double (*field)(const Run&)) {
  return stats_of(runs, field).median;
}

bool proposal_timed(const Options& options) { return options.proposal_cache_mib > 0; }

bool all_ok(const std::vector<Run>& runs, const Options& options) {
  return std::all_of(runs.begin(), runs.end(), [&](const Run& run) {
    const bool proposal_ok =
        !proposal_timed(options) || (run.proposal.ok && run.cached_check_alone.ok);
    return run.ours.ok && run.cli.ok && proposal_ok && run.check_alone.ok && run.copy_alone.ok &&
           run.quick_alone.ok && run.vacuum_alone.ok && run.vacuum_quick.ok;
  });
}

void print_setup(const DbShape& shape, const Options& options, bool built) {
  std::cout << "DB: " << mib(shape.bytes) << " (" << shape.pages << " pages of " << shape.page_size
            << " B; " << shape.orders << " orders, " << shape.customers
            << " customers; 2 tables, 4 indexes), WAL mode, default autocheckpoint, "
            << (built ? "built in " + fixed(shape.build_seconds, 1) + " s" : "reused") << ".\n\n"
            << "CLI: one `" << options.sqlite3_cli
            << " -bail` process fed a script: `PRAGMA integrity_check;` `.backup 'copy'` "
               "`.open 'copy'` `PRAGMA quick_check;`.\n\n"
            << "Runs: " << options.runs << " timed after " << options.warmups
            << " untimed warm-up; ours and the CLI alternate (ABAB); warm page cache; every "
               "copy and backup is deleted between steps"
            << (options.wait_quiet_seconds > 0
                    ? "; each run waited (up to " + std::to_string(options.wait_quiet_seconds) +
                          " s) for 15 s without other load before it started"
                    : "")
            << ".\n\n";
}

void print_summary(const std::vector<Run>& runs, const Options& options) {
  const auto cache = std::to_string(options.proposal_cache_mib) + " MiB";
  std::cout << "| Measurement | median s | min s | max s |\n|---|---:|---:|---:|\n";
  print_row("**ours**: `run_startup_check` (full gate \u2016 backup + quick_check + rename)",
            stats_of(runs, [](const Run& r) { return r.ours.seconds; }));
  print_row("\u2003its integrity_check (beside the backup)",
            stats_of(runs, [](const Run& r) { return r.ours_check; }));
  print_row("\u2003its backup: copy, fsync, quick_check, rename (beside the check)",
            stats_of(runs, [](const Run& r) { return r.ours_backup; }));
  print_row("**sqlite3 CLI**: integrity_check; .backup; quick_check of the copy",
            stats_of(runs, [](const Run& r) { return r.cli.seconds; }));
  if (proposal_timed(options)) {
    print_row("proposal: ours with a " + cache + " page cache for the check (bench-only copy)",
              stats_of(runs, [](const Run& r) { return r.proposal.seconds; }));
  }
  print_row("alone: `run_integrity_check` (full, its 64 MiB page cache)",
            stats_of(runs, [](const Run& r) { return r.check_alone.seconds; }));
  if (proposal_timed(options)) {
    print_row("alone: `PRAGMA integrity_check` with a " + cache + " page cache",
              stats_of(runs, [](const Run& r) { return r.cached_check_alone.seconds; }));
  }
  print_row("alone: backup API `step(-1)` + fsync",
            stats_of(runs, [](const Run& r) { return r.copy_alone.seconds; }));
  print_row("alone: `PRAGMA quick_check` of the backup API copy",
            stats_of(runs, [](const Run& r) { return r.quick_alone.seconds; }));
  print_row("alone: `VACUUM INTO` + fsync",
            stats_of(runs, [](const Run& r) { return r.vacuum_alone.seconds; }));
  print_row("alone: `PRAGMA quick_check` of the VACUUM INTO copy",
            stats_of(runs, [](const Run& r) { return r.vacuum_quick.seconds; }));
  std::cout << "\n";
}

std::string verdict(double ratio) {
  return fixed(ratio) + (ratio <= kTargetRatio ? " (met)" : " (missed)");
}

void print_verdict(const std::vector<Run>& runs, const Options& options) {
  const double cli = median_of(runs, [](const Run& r) { return r.cli.seconds; });
  const double ours = median_of(runs, [](const Run& r) { return r.ours.seconds; });
  const double check = median_of(runs, [](const Run& r) { return r.check_alone.seconds; });
  const double backup =
      median_of(runs, [](const Run& r) { return r.copy_alone.seconds + r.quick_alone.seconds; });
  const double floor = std::max(check, backup);
  std::cout << "**Ratio ours / CLI (medians): " << verdict(ours / cli) << "**; target \u2264 "
            << fixed(kTargetRatio) << ".\n\n";
  if (proposal_timed(options)) {
    const double proposal = median_of(runs, [](const Run& r) { return r.proposal.seconds; });
    std::cout << "Ratio proposal / CLI (medians): " << verdict(proposal / cli) << ".\n\n";
  }
  std::cout << "Floor for two threads that never slow each other: max(check, copy + quick_check), "
               "each alone = max("
            << fixed(check) << ", " << fixed(backup) << ") = " << fixed(floor) << " s, a ratio of "
            << fixed(floor / cli) << ".\n\n"
            << "Copies: backup API " << mib(runs.front().copy_bytes) << ", VACUUM INTO "
            << mib(runs.front().vacuum_bytes)
            << ". All results `ok`: " << (all_ok(runs, options) ? "yes" : "**NO**") << ".\n\n";
}

std::vector<Run> undisturbed(const std::vector<Run>& runs) {
  std::vector<Run> quiet;
  std::copy_if(runs.begin(), runs.end(), std::back_inserter(quiet),
               [](const Run& run) { return run.others_cpu && *run.others_cpu <= kDisturbedLoad; });
  return quiet;
}

void print_undisturbed(const std::vector<Run>& runs, const Options& options) {
  const auto quiet = undisturbed(runs);
  std::cout << "Undisturbed runs (other load \u2264 " << fixed(kDisturbedLoad * 100, 0)
            << " %): " << quiet.size() << " of " << runs.size();
  if (quiet.empty()) {
    std::cout << ". Every run shared the CPUs with other work; read the ratios with that in "
                 "mind.\n\n";
    return;
  }
  const double cli = median_of(quiet, [](const Run& r) { return r.cli.seconds; });
  const double ours = median_of(quiet, [](const Run& r) { return r.ours.seconds; });
  std::cout << "; over them, ours " << fixed(ours) << " s, CLI " << fixed(cli) << " s, ratio "
            << verdict(ours / cli);
  if (proposal_timed(options)) {
    const double proposal = median_of(quiet, [](const Run& r) { return r.proposal.seconds; });
    std::cout << "; proposal " << fixed(proposal) << " s, ratio " << verdict(proposal / cli);
  }
  std::cout << ".\n\n";
}

std::string load_cell(const Run& run) {
  return run.others_cpu ? fixed(*run.others_cpu * 100, 0) + " %" : "n/a";
}

void print_runs(const std::vector<Run>& runs, const Options& options) {
  const bool proposal = proposal_timed(options);
  std::cout << "Per run (seconds):\n\n| run | ours | CLI | ratio |"
            << (proposal ? " proposal | cached check alone |" : "")
            << " check alone | copy alone | quick alone | VACUUM INTO alone | other load |\n"
            << "|---:|---:|---:|---:|" << (proposal ? "---:|---:|" : "")
            << "---:|---:|---:|---:|---:|\n";
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const auto& r = runs[i];
    std::cout << "| " << i + 1 << " | " << fixed(r.ours.seconds) << " | " << fixed(r.cli.seconds)
              << " | " << fixed(r.ours.seconds / r.cli.seconds) << " | ";
    if (proposal) {
      std::cout << fixed(r.proposal.seconds) << " | " << fixed(r.cached_check_alone.seconds)
                << " | ";
    }
    std::cout << fixed(r.check_alone.seconds) << " | " << fixed(r.copy_alone.seconds) << " | "
              << fixed(r.quick_alone.seconds) << " | " << fixed(r.vacuum_alone.seconds) << " | "
              << load_cell(r) << " |\n";
  }
  std::cout << "\n\"other load\": the share of both CPUs used by other processes (and by the "
               "kernel's writeback threads) during the run; above a few percent the run was "
               "disturbed.\n";
}

// ---------------------------------------------------------------------------

Options parse_options(int argc, char** argv) {
  Options options;
  CLI::App app{"Times the startup check (gate beside backup) against the sqlite3 CLI",
               "es-gate-bench"};
  app.add_option("--size-mb", options.size_mb, "Size of the DB to build, in MiB")
      ->check(CLI::Range(1, 1 << 20));
  app.add_option("--runs", options.runs, "Timed runs")->check(CLI::Range(1, 1000));
  app.add_option("--warmups", options.warmups, "Untimed runs first")->check(CLI::Range(0, 100));
  app.add_option("--dir", options.dir, "Work here (default: a new temp folder)");
  app.add_flag("--keep", options.keep, "Keep the DB and the folder at the end");
  app.add_flag("--reuse", options.reuse, "Use the DB left in --dir by --keep, if any");
  app.add_option("--sqlite3", options.sqlite3_cli, "The sqlite3 CLI to compare with");
  app.add_option("--proposal-cache-mib", options.proposal_cache_mib,
                 "Page cache of the proposal's check connection; 0 skips the proposal")
      ->check(CLI::Range(0, 4096));
  app.add_option("--wait-quiet", options.wait_quiet_seconds,
                 "Before each run, wait up to this many seconds until other processes leave "
                 "the CPUs idle (Linux)")
      ->check(CLI::Range(0, 86400));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    std::exit(app.exit(error));
  }
  return options;
}

int run_benchmark(const Options& options) {
  const Workspace workspace(options);
  std::cerr << "working in " << workspace.root() << "\n";
  DbShape shape;
  const bool reuse = options.reuse && fs::exists(workspace.db());
  if (!reuse) shape = build_database(workspace.db(), options.size_mb);
  measure_shape(workspace.db(), shape);
  const auto runs = time_runs(workspace, options);
  print_setup(shape, options, !reuse);
  print_summary(runs, options);
  print_verdict(runs, options);
  print_undisturbed(runs, options);
  print_runs(runs, options);
  return all_ok(runs, options) ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  const auto options = parse_options(argc, argv);
  try {
    return run_benchmark(options);
  } catch (const std::exception& error) {
    std::cerr << "es-gate-bench: " << error.what() << "\n";
    return 1;
  }
}
