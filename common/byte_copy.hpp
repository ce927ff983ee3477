#pragma once
// A DB file copied byte for byte, for a backup: the fast way when SQLite
// would read the main file alone (no WAL frames: the DB at rest), so the
// file's bytes are the snapshot. Large reads and writes, instead of the
// backup API's page at a time through two page caches.
//
// The copy's header says rollback journal (bytes 18-19 set to 1 where they
// say WAL), as a backup API copy's does after its journal_mode=DELETE: a
// backup stands alone, with no -wal or -shm beside it. It then reads the copy
// back and compares its digest with that of the bytes it wrote, so a write
// that did not land as written fails here. Whether the bytes were a
// consistent DB is the caller's to know: it holds the source unchanged
// (db_reader.hpp) and checks the structure, or knows that the gate checked
// these same bytes (startup_check.cpp).
// Blocking; no shared state.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <stop_token>
#include <string>

#include "common/result.hpp"

namespace es {

struct ByteCopy {
  std::string digest;        // content_digest.hpp's, of the copy as written
  std::uintmax_t bytes = 0;
};

// Called between chunks with the pages still to copy and the total.
using ByteCopyProgress = std::function<void(int remaining_pages, int total_pages)>;

// True if `source` starts with a SQLite header this copy understands.
bool byte_copy_possible(const std::filesystem::path& source);

// Copies `source` over the (existing, empty) file `target`. kIoError naming
// the file and the OS error on a failed read or write, or a copy that reads
// back different; kUnclean when `stop` was requested.
[[nodiscard]] Result<ByteCopy> copy_db_bytes(const std::filesystem::path& source,
                                             const std::filesystem::path& target,
                                             const ByteCopyProgress& progress = {},
                                             std::stop_token stop = {});

}  // namespace es
