#pragma once
// How much page cache a full integrity_check of a DB can use.
//
// A full check probes every index once per row, in the table's order: with
// SQLite's 2 MiB default cache nearly every probe of a big index is a pread
// (6 of 12 s in the kernel on a 1 GiB DB; bench/RESULTS.md). A cache that
// holds the indexes removes them. But a cache bigger than the indexes buys
// nothing and costs: each of its pages is fresh memory, faulted in one at a
// time as the structure walk streams the whole file through it. On a DB of
// blobs in overflow pages that made the check 3× the CLI's (issue 14).
//
// And a cache bigger than the probes' working set buys nothing either: an
// index whose order follows the table's (a time stamp that grows with the
// rows) is probed at one moving place, in pages a small cache holds. The
// big cache made such a check 1.2× the CLI's (issue 14's narrow shape).
//
// So the cache is sized to the index b-trees, estimated from a sample of
// pages' type bytes read straight from the main file, and only if some
// index is scattered: its first entries point at rows far apart. That costs
// a few hundred small reads and one short index scan each. Only a size
// hint: a wrong guess costs time, never a result. Reads; changes nothing.

#include <cstdint>
#include <filesystem>

#include "common/sqlite_db.hpp"

namespace es {

inline constexpr std::int64_t kMinCheckCacheKib = 2048;    // SQLite's default
inline constexpr std::int64_t kMaxCheckCacheKib = 65536;   // freed with the check's connection

// The cache for a full check of `db`, in KiB, between the two bounds; the
// minimum if the file cannot be read as a DB. `connection` is the check's
// own, open on `db`, for the index scans.
std::int64_t check_cache_kib(const std::filesystem::path& db, const SqliteDb& connection);

// True if some index of the DB is probed all over by a full check: its first
// entries in index order point at rows far apart in the table. An index it
// cannot scan that way (WITHOUT ROWID, partial) counts as scattered.
bool has_scattered_index(const SqliteDb& connection);

}  // namespace es
