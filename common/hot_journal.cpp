#include "common/hot_journal.hpp"

#include <array>
#include <fstream>
#include <nlohmann/json.hpp>

#include "common/db_location.hpp"
#include "common/evidence_aside.hpp"
#include "common/sqlite_db.hpp"
#include "common/utf8_path.hpp"

namespace es {
namespace fs = std::filesystem;

namespace {

// The first 8 bytes of a rollback journal's header (sqlite.org/fileformat2.html,
// "The Rollback Journal").
constexpr std::array<unsigned char, 8> kJournalMagic = {0xd9, 0xd5, 0x05, 0xf9,
                                                        0x20, 0xa1, 0x63, 0xd7};

std::optional<std::uintmax_t> regular_file_size(const fs::path& path) {
  std::error_code ec;
  // A FIFO or a device is never opened here: opening a FIFO blocks.
  if (!fs::is_regular_file(path, ec)) return std::nullopt;
  const auto size = fs::file_size(path, ec);
  if (ec) return std::nullopt;
  return size;
}

std::string bytes_text(std::uintmax_t bytes) { return std::to_string(bytes) + " bytes"; }

}  // namespace

std::optional<HotJournal> find_hot_journal(const fs::path& db) {
  HotJournal found;
  found.db = db;
  found.journal = with_suffix(db, "-journal");
  const auto journal_bytes = regular_file_size(found.journal);
  const auto db_bytes = regular_file_size(db);
  if (!journal_bytes || *journal_bytes == 0 || !db_bytes || *db_bytes == 0) return std::nullopt;
  std::array<unsigned char, 8> header{};
  std::ifstream in(found.journal, std::ios::binary);
  in.read(reinterpret_cast<char*>(header.data()), static_cast<std::streamsize>(header.size()));
  if (in.gcount() == 0 || header[0] == 0) return std::nullopt;
  found.journal_bytes = *journal_bytes;
  found.db_bytes = *db_bytes;
  found.header_valid = header == kJournalMagic;
  return found;
}

Result<JournalRollback> roll_back_hot_journal(const HotJournal& found, const fs::path& backup_dir,
                                              Clock::time_point now) {
  if (const auto holders = find_open_holders({found.db, found.journal}); !holders.empty()) {
    return Error{ExitCode::kLocked,
                 "the DB " + found.db.string() + " has a -journal (" +
                     bytes_text(found.journal_bytes) +
                     "), and other processes have it open: it may be a live writer's "
                     "transaction, so it was not rolled back and nothing was changed:" +
                     describe_open_holders(holders) +
                     "\nStop them, then start again: the rollback needs the DB to itself."};
  }
  auto aside = copy_files_aside(found.db, backup_dir, {"", "-journal"}, now);
  if (!aside) {
    return Error{aside.error().exit_code,
                 "the hot journal " + found.journal.string() +
                     " was not rolled back, because its evidence could not be set aside first: " +
                     aside.error().message};
  }
  JournalRollback rollback{found, aside->folder, 0};
  const auto failed = [&](const std::string& why, ExitCode code) {
    return Error{code, "rolling back the hot journal " + found.journal.string() + " failed: " +
                           why + ". The DB and the journal as they were are in " +
                           aside->folder.string()};
  };
  {
    auto db = SqliteDb::open_to_roll_back_journal(found.db);
    if (!db) return failed(db.error().message, db.error().exit_code);
    if (sqlite3_db_readonly(db->get(), "main") == 1) {
      return failed("this account cannot write the DB (SQLite opened it read-only)",
                    ExitCode::kIoError);
    }
    // The first read takes the shared lock, finds the journal hot, and
    // plays it back into the main file (sqlite.org/atomiccommit.html, "Hot
    // Rollback Journals").
    if (auto version = db->query_int("PRAGMA schema_version", "the rollback's first read");
        !version) {
      const int primary = sqlite3_errcode(db->get()) & 0xff;
      const bool corrupt = primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB;
      return failed(version.error().message,
                    corrupt ? ExitCode::kIntegrityFailed : ExitCode::kIoError);
    }
  }  // closed: the connection holds nothing on the DB when the gate opens it
  if (const auto still = find_hot_journal(found.db)) {
    return failed("SQLite read the DB, but " + describe(*still) + " is still there",
                  ExitCode::kIoError);
  }
  std::error_code ec;
  rollback.db_bytes_after = fs::file_size(found.db, ec);
  return rollback;
}

nlohmann::json to_json(const HotJournal& found) {
  return {{"journal", found.journal.filename().string()},
          {"journal_bytes", found.journal_bytes},
          {"db_bytes", found.db_bytes},
          {"header_valid", found.header_valid}};
}

std::string describe(const HotJournal& found) {
  return found.journal.string() + " (" + bytes_text(found.journal_bytes) + ") beside " +
         found.db.string() + " (" + bytes_text(found.db_bytes) +
         "): the original pages of a transaction that never committed (its writer was cut "
         "off in the middle of it)" +
         (found.header_valid ? "" : "; its header is not a journal's, so SQLite will delete it "
                                    "without restoring a page");
}

std::string hot_journal_notice(const HotJournal& found, const fs::path& backup_dir) {
  return "hot rollback journal: " + describe(found) +
         ". This check read the DB as the rollback will leave it (through a private copy), and "
         "changed no file. `run` first copies the DB and the journal into " +
         (backup_dir / with_suffix(found.db.filename(), ".evidence.<stamp>")).string() +
         "/, then rolls the journal back (the transaction's changes are undone, every committed "
         "one stays), then checks the result.";
}

}  // namespace es
