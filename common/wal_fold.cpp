#include "common/wal_fold.hpp"

#include <array>
#include <fstream>

#include "common/db_location.hpp"
#include "common/result.hpp"
#include "common/sqlite_db.hpp"
#include "common/utf8_path.hpp"

namespace es {
namespace fs = std::filesystem;

namespace {

constexpr const char* kAtRestSuffixes[] = {"", "-wal", "-shm", "-journal"};

enum class JournalHeader { kWal, kRollback, kUnreadable };

// The main file's header alone, read as bytes: opening the DB through SQLite
// would already run recovery (a hot rollback journal is rolled back), which
// is not ours to do on a DB that has nothing to fold. Byte 19, the read
// format version, is 2 for WAL; SQLite decides by the same byte
// (sqlite.org/fileformat2.html, "The Database Header").
JournalHeader read_journal_header(const fs::path& db_path) {
  std::ifstream in(db_path, std::ios::binary);
  std::array<char, 20> header{};
  if (!in || !in.read(header.data(), header.size())) return JournalHeader::kUnreadable;
  static constexpr char kMagic[] = "SQLite format 3";  // and its NUL: 16 bytes
  if (!std::equal(std::begin(kMagic), std::end(kMagic), header.begin())) {
    return JournalHeader::kUnreadable;
  }
  return header[19] == 2 ? JournalHeader::kWal : JournalHeader::kRollback;
}

WalFold failed(std::string message, std::optional<std::int64_t> frames = std::nullopt) {
  return {FoldStatus::kFailed, frames, std::move(message)};
}

// The connection's journal mode, its statement finalized again: a
// checkpoint is refused (SQLITE_LOCKED) while the connection reads.
Result<std::string> journal_mode(const SqliteDb& db) {
  auto mode = SqliteStatement::prepare(db, "PRAGMA journal_mode");
  if (!mode) return mode.error();
  if (const int rc = mode->step(); rc != SQLITE_ROW) return db.error("PRAGMA journal_mode", rc);
  return mode->column_text(0);
}

// The FULL checkpoint copies every frame and says how many; a TRUNCATE one
// would too, but it reports 0 and 0 once it has reset the -wal (measured on
// SQLite 3.40.1: PRAGMA wal_checkpoint(TRUNCATE) gives 0|0|0 after 52
// frames). The TRUNCATE that follows leaves a 0-byte -wal, so even if the
// close cannot delete it, no frame is left outside the main file.
WalFold checkpoint_and_close(const fs::path& db_path) {
  auto db = SqliteDb::open_to_fold_wal(db_path);
  if (!db) return failed("the WAL was not folded: " + db.error().message);
  if (sqlite3_db_readonly(db->get(), "main") == 1) {
    return failed("the WAL of " + db_path.string() +
                  " was not folded: this account cannot write the DB (SQLite opened it read-only)");
  }
  // A connection opens the WAL at its first read; a checkpoint before it
  // would do nothing and report -1 frames. Reading the schema is that read.
  if (auto schema = db->query_int("SELECT count(*) FROM sqlite_schema", "reading the schema");
      !schema) {
    return failed("the WAL was not folded: " + schema.error().message);
  }
  auto mode = journal_mode(*db);
  if (!mode) return failed("the WAL was not folded: " + mode.error().message);
  if (*mode != "wal") return {FoldStatus::kNotWal, std::nullopt, ""};
  int log_frames = -1;
  int copied_frames = -1;
  if (const int rc = sqlite3_wal_checkpoint_v2(db->get(), "main", SQLITE_CHECKPOINT_FULL,
                                               &log_frames, &copied_frames);
      rc != SQLITE_OK) {
    return failed("the WAL was not folded: " + db->error("FULL checkpoint", rc).message);
  }
  if (copied_frames != log_frames) {
    return failed("the WAL of " + db_path.string() + " was only partly folded: " +
                      std::to_string(copied_frames) + " of " + std::to_string(log_frames) +
                      " frames checkpointed",
                  copied_frames);
  }
  const std::int64_t frames = copied_frames;
  if (const int rc = sqlite3_wal_checkpoint_v2(db->get(), "main", SQLITE_CHECKPOINT_TRUNCATE,
                                               nullptr, nullptr);
      rc != SQLITE_OK) {
    return failed("the WAL was folded but not emptied: " +
                      db->error("TRUNCATE checkpoint", rc).message,
                  frames);
  }
  return {FoldStatus::kFolded, frames, ""};
}  // the connection closes here, the last one: SQLite deletes the -wal and -shm

}  // namespace

std::vector<FileAtRest> files_at_rest(const fs::path& db_path) {
  std::vector<FileAtRest> files;
  for (const char* suffix : kAtRestSuffixes) {
    const auto path = with_suffix(db_path, suffix);
    std::error_code ec;
    const auto bytes = fs::file_size(path, ec);
    if (!ec) files.push_back({path.filename().string(), bytes});
  }
  return files;
}

WalFold fold_wal(const fs::path& db_path) {
  // A 0-byte file is a valid, empty DB (one its engine has not set up yet):
  // no header, no mode, nothing to fold.
  if (std::error_code ec; fs::is_regular_file(db_path, ec) && fs::file_size(db_path, ec) == 0 && !ec) {
    return {FoldStatus::kNotWal, std::nullopt, ""};
  }
  switch (read_journal_header(db_path)) {
    case JournalHeader::kRollback: return {FoldStatus::kNotWal, std::nullopt, ""};
    case JournalHeader::kUnreadable:
      return failed("the WAL of " + db_path.string() +
                    " was not folded: its header is missing or not an SQLite header");
    case JournalHeader::kWal: break;
  }
  const auto wal = with_suffix(db_path, "-wal");
  const auto shm = with_suffix(db_path, "-shm");
  // Only the last connection's close deletes the -wal and -shm, and a
  // process holding them could be an orphaned child of the engine, still
  // writing: then the files are not ours to change.
  if (const auto holders = find_open_holders({db_path, wal, shm}); !holders.empty()) {
    return {FoldStatus::kHeldElsewhere, std::nullopt,
            "the WAL of " + db_path.string() +
                " was not folded into the main file: other processes still have the DB open "
                "after the engine exited (an orphaned child of the engine?):" +
                describe_open_holders(holders) +
                "\nIts -wal and -shm stay beside it; the next run folds them once those "
                "processes are gone."};
  }
  auto fold = checkpoint_and_close(db_path);
  if (fold.status != FoldStatus::kFolded) return fold;
  std::error_code ec;
  for (const auto& side : {wal, shm}) {
    if (fs::exists(side, ec)) {
      return failed("the WAL of " + db_path.string() + " was checkpointed, but " + side.string() +
                        " remains after the close: another connection may have opened the DB",
                    fold.frames_checkpointed);
    }
  }
  return fold;
}

}  // namespace es
