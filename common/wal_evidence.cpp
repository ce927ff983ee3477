#include "common/wal_evidence.hpp"

#include <fmt/format.h>

#include <array>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <vector>

#include "common/time_stamp.hpp"

namespace es {
namespace fs = std::filesystem;

std::string_view to_string(WalVerdict verdict) {
  switch (verdict) {
    case WalVerdict::kNoWal:
      return "no_wal";
    case WalVerdict::kIntact:
      return "intact";
    case WalVerdict::kUnindexed:
      return "unindexed";
    case WalVerdict::kUnsettled:
      return "unsettled";
    case WalVerdict::kLost:
      return "lost";
    case WalVerdict::kOrphaned:
      return "orphaned";
  }
  return "lost";
}

namespace {

// sqlite.org/fileformat2.html, "The WAL File Format" and "The WAL-Index
// Format"; checked against wal.c of SQLite 3.40 (docs/wal-forensics.md).
constexpr std::uint32_t kWalMagic = 0x377f0682;  // | 1: checksum words are big-endian
constexpr std::uint32_t kWalVersion = 3007000;
constexpr std::size_t kWalHeaderSize = 32;
constexpr std::size_t kFrameHeaderSize = 24;
constexpr std::size_t kIndexHeaderSize = 48;   // one copy of WalIndexHdr
constexpr std::size_t kIndexChecksummed = 40;  // aCksum covers the bytes before it
constexpr std::size_t kBackfillOffset = 96;    // WalCkptInfo.nBackfill
constexpr std::size_t kShmPrefix = kBackfillOffset + 4;
constexpr int kSettleAttempts = 5;

std::uint32_t load_be32(const std::uint8_t* p) {
  return (std::uint32_t(p[0]) << 24) | (std::uint32_t(p[1]) << 16) | (std::uint32_t(p[2]) << 8) |
         std::uint32_t(p[3]);
}
std::uint32_t load_le32(const std::uint8_t* p) {
  return (std::uint32_t(p[3]) << 24) | (std::uint32_t(p[2]) << 16) | (std::uint32_t(p[1]) << 8) |
         std::uint32_t(p[0]);
}
std::uint32_t load_native32(const std::uint8_t* p) {
  std::uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

// wal.c's walChecksumBytes: a running Fletcher-like sum over pairs of 32-bit
// words, in the byte order the -wal's magic (or, for the -shm, the host) says.
enum class WordOrder { kBig, kLittle, kNative };

void checksum(WordOrder order, const std::uint8_t* data, std::size_t n, std::uint32_t s[2]) {
  for (std::size_t i = 0; i + 8 <= n; i += 8) {
    const auto* p = data + i;
    const std::uint32_t x0 = order == WordOrder::kBig      ? load_be32(p)
                             : order == WordOrder::kLittle ? load_le32(p)
                                                           : load_native32(p);
    const std::uint32_t x1 = order == WordOrder::kBig      ? load_be32(p + 4)
                             : order == WordOrder::kLittle ? load_le32(p + 4)
                                                           : load_native32(p + 4);
    s[0] += x0 + s[1];
    s[1] += x1 + s[0];
  }
}

std::optional<Clock::time_point> modified_time(const fs::path& path) {
  std::error_code ec;
  const auto when = fs::last_write_time(path, ec);
  if (ec) return std::nullopt;
  return std::chrono::file_clock::to_sys(when);
}

// Only regular files are opened: opening a FIFO blocks until a writer comes.
bool is_regular(const fs::path& path) {
  std::error_code ec;
  return fs::is_regular_file(fs::status(path, ec));
}

// The file's first `limit` bytes (fewer if it is shorter); nullopt if absent
// or not a regular file.
std::optional<std::vector<std::uint8_t>> read_prefix(const fs::path& path, std::size_t limit) {
  if (!is_regular(path)) return std::nullopt;
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::vector<std::uint8_t> bytes(limit);
  in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(limit));
  bytes.resize(static_cast<std::size_t>(in.gcount()));
  return bytes;
}

WalIndexHeader decode_index_header(const std::uint8_t* p) {
  WalIndexHeader h;
  h.version = load_native32(p);
  h.initialised = p[12] != 0;
  std::uint16_t size_field;
  std::memcpy(&size_field, p + 14, 2);
  // szPage is a u16: 65536 is stored as 1 (wal.c, walIndexTryHdr).
  h.page_size = (size_field & 0xfe00u) + ((size_field & 0x0001u) << 16);
  h.max_frame = load_native32(p + 16);
  h.db_pages = load_native32(p + 20);
  h.frame_checksum[0] = load_native32(p + 24);
  h.frame_checksum[1] = load_native32(p + 28);
  std::memcpy(h.salt, p + 32, 8);
  std::uint32_t sum[2] = {0, 0};
  checksum(WordOrder::kNative, p, kIndexChecksummed, sum);
  h.checksum_ok = sum[0] == load_native32(p + 40) && sum[1] == load_native32(p + 44);
  return h;
}

ShmEvidence decode_shm(const fs::path& path, const std::vector<std::uint8_t>& bytes,
                       std::uintmax_t size) {
  ShmEvidence shm;
  shm.present = true;
  shm.size = size;
  shm.modified = modified_time(path);
  if (bytes.size() < kShmPrefix) return shm;
  shm.copies[0] = decode_index_header(bytes.data());
  shm.copies[1] = decode_index_header(bytes.data() + kIndexHeaderSize);
  shm.copies_agree =
      std::memcmp(bytes.data(), bytes.data() + kIndexHeaderSize, kIndexHeaderSize) == 0;
  if (shm.copies[1].usable()) {
    shm.header = shm.copies[1];
  } else if (shm.copies[0].usable()) {
    shm.header = shm.copies[0];
  }
  shm.backfilled = load_native32(bytes.data() + kBackfillOffset);
  return shm;
}

bool valid_page_size(std::uint32_t size) {
  return size >= 512 && size <= 65536 && (size & (size - 1)) == 0;
}

// Walks the -wal the way SQLite's recovery does (wal.c, walIndexRecover):
// frames count while their salts match the header and the running checksum
// holds; the last such frame with a commit mark ends the committed log.
WalFileEvidence read_wal_file(const fs::path& path, std::uint32_t index_end) {
  WalFileEvidence wal;
  std::error_code ec;
  const auto status = fs::status(path, ec);
  if (!fs::exists(status)) return wal;
  wal.present = true;
  wal.regular = fs::is_regular_file(status);
  if (!wal.regular) return wal;
  std::ifstream in(path, std::ios::binary);
  if (!in) return wal;
  wal.size = fs::file_size(path, ec);
  std::array<std::uint8_t, kWalHeaderSize> header{};
  if (!in.read(reinterpret_cast<char*>(header.data()), header.size())) return wal;
  const std::uint32_t magic = load_be32(header.data());
  if ((magic & ~1u) != kWalMagic || load_be32(header.data() + 4) != kWalVersion) return wal;
  const auto order = (magic & 1u) ? WordOrder::kBig : WordOrder::kLittle;
  std::uint32_t sum[2] = {0, 0};
  checksum(order, header.data(), 24, sum);
  if (sum[0] != load_be32(header.data() + 24) || sum[1] != load_be32(header.data() + 28))
    return wal;
  wal.page_size = load_be32(header.data() + 8);
  if (!valid_page_size(wal.page_size)) return wal;
  wal.header_ok = true;
  wal.checkpoint_sequence = load_be32(header.data() + 12);
  std::memcpy(wal.salt, header.data() + 16, 8);

  std::vector<std::uint8_t> frame(kFrameHeaderSize + wal.page_size);
  while (
      in.read(reinterpret_cast<char*>(frame.data()), static_cast<std::streamsize>(frame.size()))) {
    if (std::memcmp(frame.data() + 8, wal.salt, 8) != 0) break;
    if (load_be32(frame.data()) == 0) break;  // page 0 does not exist
    std::uint32_t next[2] = {sum[0], sum[1]};
    checksum(order, frame.data(), 8, next);
    checksum(order, frame.data() + kFrameHeaderSize, wal.page_size, next);
    if (next[0] != load_be32(frame.data() + 16) || next[1] != load_be32(frame.data() + 20)) break;
    sum[0] = next[0];
    sum[1] = next[1];
    ++wal.valid_frames;
    if (load_be32(frame.data() + 4) != 0) wal.last_commit_frame = wal.valid_frames;
    if (wal.valid_frames == index_end) {
      wal.checksum_at_index_end[0] = sum[0];
      wal.checksum_at_index_end[1] = sum[1];
    }
  }
  return wal;
}

struct Snapshot {
  std::optional<std::vector<std::uint8_t>> shm_bytes;
  std::uintmax_t shm_size = 0;
  std::uintmax_t wal_size = 0;
  bool operator==(const Snapshot&) const = default;
};

Snapshot take_snapshot(const fs::path& shm_path, const fs::path& wal_path) {
  Snapshot s;
  std::error_code ec;
  s.shm_bytes = read_prefix(shm_path, kShmPrefix);
  if (s.shm_bytes) s.shm_size = fs::file_size(shm_path, ec);
  s.wal_size = fs::file_size(wal_path, ec);
  if (ec) s.wal_size = 0;
  return s;
}

fs::path side_file(const fs::path& db, const char* suffix) {
  auto p = db;
  p += suffix;
  return p;
}

// Decides what the files say. `kept` is the last committed frame the -wal
// still holds of those the -shm records.
void judge(WalEvidence& e) {
  const auto& index = e.shm.header;
  if (index && index->max_frame > e.shm.backfilled) {
    e.frames_pending = index->max_frame - e.shm.backfilled;
  }
  if ((!e.db_present || e.db_size == 0) && e.wal.last_commit_frame > 0) {
    e.verdict = WalVerdict::kOrphaned;
    e.frames_orphaned = e.wal.last_commit_frame;
    e.cause = e.db_present ? "the main file is 0 bytes" : "the main file is missing";
    return;
  }
  if (e.frames_pending > 0) {
    std::uint32_t kept = 0;
    if (!e.wal.present) {
      e.cause = "the -wal is missing";
    } else if (!e.wal.regular) {
      e.cause = "the -wal is not a regular file";
    } else if (e.wal.size == 0) {
      e.cause = "the -wal is 0 bytes";
    } else if (!e.wal.header_ok) {
      e.cause = "the -wal's header is not a valid WAL header";
    } else if (std::memcmp(e.wal.salt, index->salt, 8) != 0) {
      e.cause = "the -wal carries other salts than the -shm records (it was reset or replaced)";
    } else if (e.wal.page_size != index->page_size) {
      e.cause = "the -wal's page size differs from the -shm's";
    } else if (e.wal.valid_frames < index->max_frame) {
      kept = std::min(e.wal.last_commit_frame, index->max_frame);
      const auto needed =
          kWalHeaderSize + std::uintmax_t(index->max_frame) * (kFrameHeaderSize + index->page_size);
      e.cause = e.wal.size < needed
                    ? fmt::format("the -wal is {} bytes; its {} frames need {}", e.wal.size,
                                  index->max_frame, needed)
                    : fmt::format("the -wal's frames fail their checksums from frame {} on",
                                  e.wal.valid_frames + 1);
    } else if (e.wal.checksum_at_index_end[0] != index->frame_checksum[0] ||
               e.wal.checksum_at_index_end[1] != index->frame_checksum[1]) {
      e.cause = "the -wal's frames are not the ones the -shm records (checksums differ)";
    } else {
      kept = index->max_frame;
    }
    const auto safe = std::max(kept, e.shm.backfilled);
    if (safe < index->max_frame) {
      e.verdict = WalVerdict::kLost;
      e.frames_lost = index->max_frame - safe;
      e.bytes_lost = std::uint64_t(e.frames_lost) * index->page_size;
      return;
    }
    e.cause.clear();
    e.verdict = WalVerdict::kIntact;
    return;
  }
  if (!index && e.wal.last_commit_frame > 0) {
    e.verdict = WalVerdict::kUnindexed;
    return;
  }
  e.verdict = e.wal.present && e.wal.size > 0 ? WalVerdict::kIntact : WalVerdict::kNoWal;
}

std::string format_bytes(std::uint64_t bytes) {
  if (bytes >= (1u << 20)) return fmt::format("{:.1f} MiB", double(bytes) / (1u << 20));
  if (bytes >= (1u << 10)) return fmt::format("{:.1f} KiB", double(bytes) / (1u << 10));
  return fmt::format("{} bytes", bytes);
}

nlohmann::json salt_hex(const std::uint8_t (&salt)[8]) {
  std::string hex;
  for (auto b : salt) hex += fmt::format("{:02x}", b);
  return hex;
}

}  // namespace

WalEvidence read_wal_evidence(const fs::path& db_path) {
  const auto shm_path = side_file(db_path, "-shm");
  const auto wal_path = side_file(db_path, "-wal");
  WalEvidence e;
  e.db_path = db_path;
  std::error_code ec;
  const auto status = fs::status(db_path, ec);
  e.db_present = fs::exists(status);
  if (fs::is_regular_file(status)) e.db_size = fs::file_size(db_path, ec);

  // A writer may change the -shm and -wal while they are read: read the -shm,
  // then the -wal, then the -shm again, and believe only a settled reading.
  for (int attempt = 0; attempt < kSettleAttempts; ++attempt) {
    const auto before = take_snapshot(shm_path, wal_path);
    e.shm =
        before.shm_bytes ? decode_shm(shm_path, *before.shm_bytes, before.shm_size) : ShmEvidence{};
    e.wal = read_wal_file(wal_path, e.shm.header ? e.shm.header->max_frame : 0);
    if (take_snapshot(shm_path, wal_path) == before) {
      judge(e);
      return e;
    }
  }
  e.verdict = WalVerdict::kUnsettled;
  e.cause = "another process kept changing the -wal and -shm while they were read";
  return e;
}

std::optional<WalIndexHeader> read_wal_index_header(const fs::path& db_path) {
  const auto shm_path = side_file(db_path, "-shm");
  const auto bytes = read_prefix(shm_path, kShmPrefix);
  if (!bytes) return std::nullopt;
  return decode_shm(shm_path, *bytes, bytes->size()).header;
}

std::string describe_loss(const WalEvidence& e) {
  const auto wal = side_file(e.db_path, "-wal").string();
  if (e.verdict == WalVerdict::kOrphaned) {
    return fmt::format(
        "{} holds {} frames of committed transactions, but {}: SQLite deletes such a -wal at "
        "its next open, and the transactions with it",
        wal, e.frames_orphaned, e.cause);
  }
  const auto seen = e.shm.modified ? iso8601_utc(*e.shm.modified) : std::string("unknown");
  return fmt::format(
      "{} frames (about {}) of committed transactions recorded in {} are gone from {}: {}. "
      "They were last seen {} (the -shm's mtime)",
      e.frames_lost, format_bytes(e.bytes_lost), side_file(e.db_path, "-shm").string(), wal,
      e.cause, seen);
}

nlohmann::json to_json(const WalEvidence& e) {
  nlohmann::json j = {{"verdict", to_string(e.verdict)},
                      {"frames_pending", e.frames_pending},
                      {"frames_lost", e.frames_lost},
                      {"bytes_lost", e.bytes_lost}};
  if (e.verdict == WalVerdict::kOrphaned) j["frames_orphaned"] = e.frames_orphaned;
  if (!e.cause.empty()) j["cause"] = e.cause;
  nlohmann::json shm = {{"present", e.shm.present}};
  if (e.shm.present) {
    shm["size"] = e.shm.size;
    shm["modified"] = e.shm.modified ? nlohmann::json(iso8601_utc(*e.shm.modified)) : nullptr;
    shm["copies_agree"] = e.shm.copies_agree;
    shm["nbackfill"] = e.shm.backfilled;
    if (e.shm.header) {
      shm["mxframe"] = e.shm.header->max_frame;
      shm["page_size"] = e.shm.header->page_size;
      shm["db_pages"] = e.shm.header->db_pages;
      shm["salt"] = salt_hex(e.shm.header->salt);
    } else {
      shm["header"] = "unusable";
    }
  }
  nlohmann::json wal = {{"present", e.wal.present}};
  if (e.wal.present) {
    wal["size"] = e.wal.size;
    wal["header_ok"] = e.wal.header_ok;
    if (e.wal.header_ok) {
      wal["page_size"] = e.wal.page_size;
      wal["salt"] = salt_hex(e.wal.salt);
      wal["valid_frames"] = e.wal.valid_frames;
      wal["last_commit_frame"] = e.wal.last_commit_frame;
    }
  }
  j["shm"] = std::move(shm);
  j["wal"] = std::move(wal);
  return j;
}

}  // namespace es
