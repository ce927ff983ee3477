// es-continuity-bench: what the continuity check between sessions costs on a
// big DB, against the gate's full integrity_check on the same file.
//
// It builds a WAL DB of about --size-mb MB (rows of random text under two
// indexes), or reuses --db. Then, --runs times, it times:
//   - the start after an untouched DB: the record compared, no content read;
//   - the digest of the whole file (XXH3-128, 1 MiB reads), page cache warm;
//   - the record at the end of a run (look_at_db with the digest);
//   - the full integrity_check the gate runs (run_integrity_check, kFull).
// Markdown goes to stdout, progress to stderr. Single-threaded.

#include <sqlite3.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/content_digest.hpp"
#include "common/db_at_rest.hpp"
#include "common/db_continuity.hpp"
#include "common/integrity_check.hpp"
#include "common/sqlite_db.hpp"

namespace {

namespace fs = std::filesystem;
using SteadyClock = std::chrono::steady_clock;

void build_db(const fs::path& db, int size_mb) {
  std::cerr << "building a " << size_mb << " MB DB at " << db.string() << "…\n";
  auto connection = es::SqliteDb::open_owned(db, true);
  if (!connection) throw std::runtime_error(connection.error().message);
  const auto run = [&](const std::string& sql) {
    if (auto done = connection->execute(sql, "bench setup"); !done) {
      throw std::runtime_error(done.error().message);
    }
  };
  run("PRAGMA journal_mode=WAL");
  run("CREATE TABLE t(id INTEGER PRIMARY KEY, k TEXT, payload TEXT)");
  run("CREATE INDEX t_k ON t(k)");
  // About 600 bytes a row with its index entry.
  const long rows = static_cast<long>(size_mb) * 1024 * 1024 / 600;
  run("WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < " +
      std::to_string(rows) +
      ") INSERT INTO t(k, payload) SELECT hex(randomblob(16)), hex(randomblob(240)) FROM n");
  run("PRAGMA wal_checkpoint(TRUNCATE)");
}

template <class F>
double seconds(F&& work) {
  const auto start = SteadyClock::now();
  work();
  return std::chrono::duration<double>(SteadyClock::now() - start).count();
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"es-continuity-bench: the continuity check's cost against the gate's check"};
  int size_mb = 1024;
  int runs = 5;
  std::string db_text;
  app.add_option("--size-mb", size_mb, "Size of the DB to build (default 1024)");
  app.add_option("--runs", runs, "Timed runs (default 5)");
  app.add_option("--db", db_text, "Use this DB instead of building one (it is not changed)");
  CLI11_PARSE(app, argc, argv);
  try {
    fs::path db = db_text;
    fs::path built;
    if (db.empty()) {
      built = fs::temp_directory_path() / ("es-continuity-bench-" +
                  std::to_string(SteadyClock::now().time_since_epoch().count()));
      fs::create_directories(built);
      db = built / "live.db";
      build_db(db, size_mb);
    }
    const auto bytes = fs::file_size(db);
    // Warm the page cache, as at the end of a run and at a start soon after.
    auto record = es::look_at_db(db, true).value();
    std::vector<double> compare, digest, at_rest, check;
    for (int i = 0; i < runs; ++i) {
      std::cerr << "run " << i + 1 << " of " << runs << "\n";
      compare.push_back(seconds([&] {
        const auto compared = es::compare_with_record(record, db).value();
        if (compared.changed() || compared.digest_read) throw std::runtime_error("changed?");
      }));
      digest.push_back(seconds([&] { (void)es::digest_file(db).value(); }));
      at_rest.push_back(seconds([&] { record = es::look_at_db(db, true).value(); }));
      check.push_back(seconds([&] {
        if (!es::run_integrity_check(db, es::CheckMode::kFull).ok()) {
          throw std::runtime_error("integrity_check is not ok");
        }
      }));
    }
    const double gate = median(check);
    std::cout << "| Step | Median | Share of the full integrity_check |\n|---|---|---|\n";
    const auto row = [&](const char* what, double value) {
      std::cout << "| " << what << " | " << value * 1000 << " ms | " << 100 * value / gate
                << " % |\n";
    };
    row("start, DB untouched (stat only, no content read)", median(compare));
    row("start, DB changed: XXH3-128 of the whole file", median(digest));
    row("end of a run: record at rest (stat, digest, stat)", median(at_rest));
    row("gate: full integrity_check", gate);
    std::cout << "\nDB: " << bytes << " bytes (" << bytes / (1024.0 * 1024 * 1024)
              << " GiB); digest " << bytes / median(digest) / 1e9 << " GB/s; " << runs
              << " runs, page cache warm.\n";
    if (!built.empty()) fs::remove_all(built);
  } catch (const std::exception& e) {
    std::cerr << "es-continuity-bench: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
