// Issue 13.1: what an in-session backup costs the engine. An engine-like
// writer commits one small row every few milliseconds to a WAL DB of the
// given size (synchronous=NORMAL, as trading engines run), and each commit's
// latency is measured in three phases of equal length, side by side:
//
//   alone    nothing else touches the DB
//   ours     the supervisor's in-session backup (BackupStore::take, kind
//            live: the backup API in one read transaction, verified),
//            back to back for the whole phase: the worst case
//   cli      the sqlite3 CLI's `.backup`, back to back, for comparison
//
// Prints p50, p99 and the maximum of each phase, and how many copies ran.
//
//   es-commit-latency-bench --db /tmp/latency.db --megabytes 100 --seconds 10

#include <sqlite3.h>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "common/backup_store.hpp"

namespace fs = std::filesystem;
using Steady = std::chrono::steady_clock;

namespace {

void exec(sqlite3* db, const char* sql) {
  char* error = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &error) != SQLITE_OK) {
    std::string what = error ? error : "?";
    sqlite3_free(error);
    throw std::runtime_error(std::string(sql) + ": " + what);
  }
}

sqlite3* open_writer(const fs::path& path) {
  sqlite3* db = nullptr;
  if (sqlite3_open(path.string().c_str(), &db) != SQLITE_OK) throw std::runtime_error("open " + path.string());
  sqlite3_busy_timeout(db, 5000);
  exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;");
  return db;
}

// A DB of about `megabytes`, of 4 KiB rows, as an engine's history grows.
void make_db(const fs::path& path, int megabytes) {
  if (fs::exists(path)) return;
  sqlite3* db = open_writer(path);
  exec(db, "CREATE TABLE history(id INTEGER PRIMARY KEY, payload BLOB);"
           "CREATE TABLE fills(id INTEGER PRIMARY KEY, at INTEGER, qty INTEGER, price REAL);");
  exec(db, "BEGIN");
  sqlite3_stmt* insert = nullptr;
  sqlite3_prepare_v2(db, "INSERT INTO history(payload) VALUES(randomblob(4000))", -1, &insert, nullptr);
  for (int i = 0; i < megabytes * 256; ++i) {
    sqlite3_step(insert);
    sqlite3_reset(insert);
  }
  sqlite3_finalize(insert);
  exec(db, "COMMIT; PRAGMA wal_checkpoint(TRUNCATE);");
  sqlite3_close(db);
}

struct Phase {
  std::string name;
  std::vector<double> latencies_ms;
  int copies = 0;
};

double percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const auto at = static_cast<std::size_t>(p * static_cast<double>(values.size() - 1));
  return values[at];
}

// Commits one fill every `interval` for `seconds`, while `beside` runs on a
// thread of its own until told to stop (nothing, for the alone phase).
Phase measure(const std::string& name, const fs::path& path, double seconds,
              std::chrono::milliseconds interval, const std::function<void(std::stop_token)>& beside,
              std::atomic<int>& copies) {
  Phase phase{name, {}, 0};
  copies = 0;
  sqlite3* db = open_writer(path);
  sqlite3_stmt* insert = nullptr;
  sqlite3_prepare_v2(db, "INSERT INTO fills(at, qty, price) VALUES(?1, 100, 101.25)", -1, &insert, nullptr);
  std::jthread other;
  if (beside) other = std::jthread(beside);
  const auto end = Steady::now() + std::chrono::duration<double>(seconds);
  auto next = Steady::now();
  while (Steady::now() < end) {
    const auto start = Steady::now();
    exec(db, "BEGIN IMMEDIATE");
    sqlite3_bind_int64(insert, 1, start.time_since_epoch().count());
    sqlite3_step(insert);
    sqlite3_reset(insert);
    exec(db, "COMMIT");
    phase.latencies_ms.push_back(std::chrono::duration<double, std::milli>(Steady::now() - start).count());
    next += interval;
    std::this_thread::sleep_until(next);
  }
  if (other.joinable()) {
    other.request_stop();
    other.join();
  }
  sqlite3_finalize(insert);
  sqlite3_close(db);
  phase.copies = copies;
  return phase;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"commit latency of an engine-like writer, alone and beside backups"};
  std::string db_path = "/tmp/es-commit-latency.db";
  int megabytes = 100;
  double seconds = 10;
  int interval_ms = 2;
  app.add_option("--db", db_path, "The DB (made if missing)");
  app.add_option("--megabytes", megabytes, "Its size when made");
  app.add_option("--seconds", seconds, "Each phase's length");
  app.add_option("--interval-ms", interval_ms, "Between commits");
  CLI11_PARSE(app, argc, argv);

  const fs::path db = db_path;
  make_db(db, megabytes);
  const auto backups = db.parent_path() / (db.filename().string() + ".bench-backups");
  fs::create_directories(backups);
  const auto interval = std::chrono::milliseconds(interval_ms);
  std::atomic<int> copies{0};

  std::vector<Phase> phases;
  phases.push_back(measure("alone", db, seconds, interval, {}, copies));
  phases.push_back(measure(
      "ours", db, seconds, interval,
      [&](std::stop_token stop) {
        const es::BackupStore store(db, backups);
        while (!stop.stop_requested()) {
          if (auto taken = store.take(es::BackupKind::kLive, {2, 0, 0}, es::Clock::now(), {}, stop)) ++copies;
        }
      },
      copies));
  const auto cli_copy = backups / "cli.db";
  phases.push_back(measure(
      "cli", db, seconds, interval,
      [&](std::stop_token stop) {
        const auto command = fmt::format("sqlite3 '{}' \".backup '{}'\"", db.string(), cli_copy.string());
        while (!stop.stop_requested()) {
          if (std::system(command.c_str()) == 0) ++copies;
        }
      },
      copies));
  fs::remove_all(backups);

  fmt::print("commit latency, {} MB DB, one commit every {} ms, {} s per phase\n",
             fs::file_size(db) / (1024 * 1024), interval_ms, seconds);
  fmt::print("{:<6} {:>8} {:>9} {:>9} {:>9} {:>7}\n", "phase", "commits", "p50 ms", "p99 ms", "max ms", "copies");
  for (const auto& phase : phases) {
    fmt::print("{:<6} {:>8} {:>9.3f} {:>9.3f} {:>9.3f} {:>7}\n", phase.name, phase.latencies_ms.size(),
               percentile(phase.latencies_ms, 0.5), percentile(phase.latencies_ms, 0.99),
               percentile(phase.latencies_ms, 1.0), phase.copies);
  }
  return 0;
}
