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
// So the cache is sized to the index b-trees, estimated from a sample of
// pages' type bytes read straight from the main file: the cost of a few
// hundred small reads. Only a size hint: a wrong guess costs time, never a
// result. Reads the file; changes nothing.

#include <cstdint>
#include <filesystem>

namespace es {

inline constexpr std::int64_t kMinCheckCacheKib = 2048;    // SQLite's default
inline constexpr std::int64_t kMaxCheckCacheKib = 65536;   // freed with the check's connection

// The cache for a full check of `db`, in KiB, between the two bounds; the
// minimum if the file cannot be read as a DB.
std::int64_t check_cache_kib(const std::filesystem::path& db);

}  // namespace es
