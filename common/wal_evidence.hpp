#pragma once
// The WAL's own evidence, read raw from the `-shm` and `-wal` before SQLite
// opens anything.
//
// The incident this product exists for: committed transactions lived only in
// a `-wal` that was later lost, beside a `-shm` that still recorded them.
// SQLite's recovery at the next open rebuilds the wal-index from whatever the
// `-wal` holds and zeroes that record, so the loss becomes invisible. This
// reads the record first: the wal-index header (both copies, their
// checksums, mxFrame, the page size, the salts), the checkpoint info
// (nBackfill), and the `-wal`'s header and frames, checked the way SQLite's
// recovery checks them. docs/wal-forensics.md gives the format facts and
// their sources.
//
// Only reads; changes no file and creates none. Platform-neutral. Safe beside
// a live writer: a torn read is retried, and one that stays torn is reported
// as kUnsettled, never as a loss.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>

namespace es {

enum class WalVerdict {
  kNoWal,      // nothing of the WAL beside the DB, or nothing uncheckpointed in it
  kIntact,     // the -wal holds every frame the -shm records as committed
  kUnindexed,  // a -wal with frames but no usable -shm: SQLite rebuilds the index
  kUnsettled,  // another process kept changing the files while they were read
  kLost,       // the -shm records committed frames the -wal no longer holds
  kOrphaned,   // the -wal holds commits but the main file is missing or empty:
               // SQLite deletes such a -wal at its next open
};

std::string_view to_string(WalVerdict verdict);

// One copy of the wal-index header (the `-shm`'s first 48 or next 48 bytes).
struct WalIndexHeader {
  std::uint32_t version = 0;             // iVersion, 3007000
  bool initialised = false;              // isInit
  bool checksum_ok = false;              // aCksum over the first 40 bytes, native order
  std::uint32_t page_size = 0;           // szPage, decoded (65536 is stored as 1)
  std::uint32_t max_frame = 0;           // mxFrame: the last committed frame
  std::uint32_t db_pages = 0;            // nPage: the DB's size in pages at that commit
  std::uint8_t salt[8] = {};             // aSalt, as the -wal header stores them
  std::uint32_t frame_checksum[2] = {};  // aFrameCksum: the running checksum at mxFrame

  bool usable() const { return initialised && checksum_ok && version == 3007000; }
};

struct ShmEvidence {
  bool present = false;
  std::uintmax_t size = 0;
  std::optional<std::chrono::system_clock::time_point> modified;  // "last seen"
  WalIndexHeader copies[2];
  bool copies_agree = false;
  // The copy to believe: SQLite writes copy 1 first, so a usable copy 1 is
  // the newest commit; else a usable copy 0.
  std::optional<WalIndexHeader> header;
  std::uint32_t backfilled = 0;  // nBackfill: frames already in the main file
};

struct WalFileEvidence {
  bool present = false;
  bool regular = true;           // false: a FIFO, folder or device; not read
  std::uintmax_t size = 0;
  bool header_ok = false;  // magic, version and header checksum
  std::uint32_t page_size = 0;
  std::uint32_t checkpoint_sequence = 0;
  std::uint8_t salt[8] = {};
  std::uint32_t valid_frames = 0;               // frames whose salts and running checksum hold
  std::uint32_t last_commit_frame = 0;          // the last of those with a commit mark
  std::uint32_t checksum_at_index_end[2] = {};  // running checksum at the -shm's mxFrame
};

struct WalEvidence {
  std::filesystem::path db_path;
  WalVerdict verdict = WalVerdict::kNoWal;
  ShmEvidence shm;
  WalFileEvidence wal;
  std::uintmax_t db_size = 0;
  bool db_present = false;
  // Frames recorded as committed and not yet in the main file.
  std::uint32_t frames_pending = 0;
  // For kLost: the committed frames gone, and about how many bytes of pages.
  std::uint32_t frames_lost = 0;
  std::uint64_t bytes_lost = 0;
  // For kOrphaned: the committed frames a -wal holds for a main file that is gone.
  std::uint32_t frames_orphaned = 0;
  std::string cause;  // why, in one phrase: "the -wal is 0 bytes", ...

  bool refuses() const { return verdict == WalVerdict::kLost || verdict == WalVerdict::kOrphaned; }
};

// Reads the evidence beside `db_path`. Never fails: what cannot be read is
// recorded as absent or unusable, and the verdict follows from what was read.
WalEvidence read_wal_evidence(const std::filesystem::path& db_path);

// "2054 frames (about 8.0 MiB) of committed transactions, last seen
// 2026-12-01T17:02:11Z: the -wal is 0 bytes"
std::string describe_loss(const WalEvidence& evidence);

nlohmann::json to_json(const WalEvidence& evidence);

// The -shm's wal-index header as SQLite believes it, without reading the
// -wal: what moves with every commit (mxFrame, and the salts at each WAL
// restart), for a cheap "has the DB changed?". nullopt when there is no
// usable one. Reads a regular -shm only; changes nothing.
std::optional<WalIndexHeader> read_wal_index_header(const std::filesystem::path& db_path);

}  // namespace es
