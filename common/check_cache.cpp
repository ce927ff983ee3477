#include "common/check_cache.hpp"

#include <algorithm>
#include <array>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include <sqlite3.h>

namespace es {
namespace fs = std::filesystem;

namespace {

// Enough samples that an index share of a few percent shows, few enough that
// the reads cost about a millisecond from the page cache.
constexpr std::int64_t kSamples = 512;
constexpr std::int64_t kPagesPerRun = 16;
// B-tree page types (the first byte of a page): index interior and leaf.
constexpr unsigned char kIndexInterior = 2;
constexpr unsigned char kIndexLeaf = 10;
// An index's first entries read to judge its order, rows apart that count as
// "elsewhere" (beyond a leaf page or two of a narrow table), and a bound on
// the scans for a schema with very many indexes.
constexpr int kScanEntries = 1000;
constexpr std::int64_t kNearRows = 64;
constexpr int kMaxIndexesScanned = 64;

std::int64_t page_size_of(std::ifstream& in) {
  std::array<unsigned char, 2> raw{};
  in.seekg(16);
  if (!in.read(reinterpret_cast<char*>(raw.data()), raw.size())) return 0;
  const int size = raw[0] << 8 | raw[1];
  if (size == 1) return 65536;
  const bool power_of_two = size >= 512 && (size & (size - 1)) == 0;
  return power_of_two ? size : 0;
}


bool scattered(const SqliteDb& connection, const std::string& table, const std::string& index) {
  const auto quote = [](const std::string& name) {
    std::string quoted = "\"";
    for (const char c : name) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
    return quoted + "\"";
  };
  auto scan = SqliteStatement::prepare(connection, "SELECT rowid FROM " + quote(table) +
                                                       " INDEXED BY " + quote(index) + " LIMIT " +
                                                       std::to_string(kScanEntries));
  if (!scan) return true;
  std::int64_t steps = 0;
  std::int64_t jumps = 0;
  std::optional<std::int64_t> last;
  int rc = SQLITE_ROW;
  while ((rc = scan->step()) == SQLITE_ROW) {
    const auto rowid = scan->column_int(0);
    if (last) {
      ++steps;
      if (rowid - *last > kNearRows || *last - rowid > kNearRows) ++jumps;
    }
    last = rowid;
  }
  if (rc != SQLITE_DONE) return true;
  return jumps * 10 > steps;  // more than one step in ten lands elsewhere
}

}  // namespace

bool has_scattered_index(const SqliteDb& connection) {
  auto indexes = SqliteStatement::prepare(
      connection, "SELECT tbl_name, name FROM sqlite_schema WHERE type = 'index' LIMIT " +
                      std::to_string(kMaxIndexesScanned));
  if (!indexes) return true;
  int rc = SQLITE_ROW;
  while ((rc = indexes->step()) == SQLITE_ROW) {
    if (scattered(connection, indexes->column_text(0), indexes->column_text(1))) return true;
  }
  return rc != SQLITE_DONE;
}

std::int64_t check_cache_kib(const fs::path& db, const SqliteDb& connection) {
  std::error_code ec;
  const auto file_bytes = static_cast<std::int64_t>(fs::file_size(db, ec));
  if (ec) return kMinCheckCacheKib;
  std::ifstream in;
  in.rdbuf()->pubsetbuf(nullptr, 0);  // each read below is one system call
  in.open(db, std::ios::binary);
  const auto page_size = page_size_of(in);
  if (!in || page_size == 0) return kMinCheckCacheKib;
  const auto pages = file_bytes / page_size;
  if (pages < 2) return kMinCheckCacheKib;
  // Runs of consecutive pages at an even stride over pages 2 to `pages`: a
  // system call costs more than the bytes it brings (7 µs each on a VM).
  const auto run_pages = std::min<std::int64_t>(kPagesPerRun, pages - 1);
  const auto runs = std::max<std::int64_t>(1, std::min(kSamples, pages - 1) / run_pages);
  std::vector<char> run(static_cast<std::size_t>(run_pages * page_size));
  std::int64_t samples = 0;
  std::int64_t index_pages = 0;
  for (std::int64_t i = 0; i < runs; ++i) {
    const auto first = 2 + i * (pages - run_pages) / runs;
    in.seekg((first - 1) * page_size);
    if (!in.read(run.data(), static_cast<std::streamsize>(run.size()))) return kMinCheckCacheKib;
    for (std::int64_t page = 0; page < run_pages; ++page) {
      const auto byte = static_cast<unsigned char>(run[static_cast<std::size_t>(page * page_size)]);
      if (byte == kIndexInterior || byte == kIndexLeaf) ++index_pages;
      ++samples;
    }
  }
  // The indexes, a quarter more for the table pages each probe passes, and
  // the default cache for everything else.
  const auto index_kib = index_pages * file_bytes / samples / 1024;
  if (index_kib == 0 || !has_scattered_index(connection)) return kMinCheckCacheKib;
  return std::clamp(index_kib + index_kib / 4 + kMinCheckCacheKib, kMinCheckCacheKib,
                    kMaxCheckCacheKib);
}

}  // namespace es
