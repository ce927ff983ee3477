#pragma once
// A hot rollback journal, found before the gate, and its rollback by `run`.
//
// A writer in a rollback journal mode (DELETE, TRUNCATE, PERSIST) that is
// cut off in the middle of a transaction leaves a `-journal` holding the
// original content of the pages the transaction had already written into
// the main file: the main file alone then mixes the old state and a
// transaction that never committed. SQLite rolls the journal back at the
// next connection's first read, but only a connection that can write does,
// and that first connection would otherwise be the engine's: the evidence
// would be gone before anyone looked, and a restore that left the journal
// under the live name would have it applied to the restored DB (issue 11,
// item 2).
//
// So `check` reports the journal (it reads the DB as the rollback will
// leave it, through a private copy: db_reader.hpp) and changes nothing; and
// `run`, holding the session lock with no other process on the DB, first
// copies the DB and the journal aside as evidence, then has SQLite roll the
// journal back, then the gate checks the result.
//
// find_hot_journal reads the files raw and never opens them with SQLite.
// Blocking; no shared state.

#include <cstdint>
#include <filesystem>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>

#include "common/result.hpp"
#include "common/time_stamp.hpp"

namespace es {

struct HotJournal {
  std::filesystem::path db;
  std::filesystem::path journal;
  std::uintmax_t journal_bytes = 0;
  std::uintmax_t db_bytes = 0;
  // Begins with SQLite's journal magic. One that does not is still hot to
  // SQLite, which deletes it without rolling anything back.
  bool header_valid = false;
};

// The -journal beside `db` when SQLite would take it for hot: a regular
// file of more than 0 bytes whose first byte is not 0 (a PERSIST journal's
// zeroed header is not hot), beside a main file of more than 0 bytes
// (SQLite's hasHotJournal). Whether a live writer holds it, which makes it
// not hot, the files do not say: the caller asks find_open_holders.
std::optional<HotJournal> find_hot_journal(const std::filesystem::path& db);

struct JournalRollback {
  HotJournal found;  // before the rollback
  std::filesystem::path evidence_folder;
  std::uintmax_t db_bytes_after = 0;
};

// Rolls `found` back, as SQLite would at the engine's first read, after
// setting the evidence aside. REQUIRES: the caller holds the session lock.
//  1. Refuses (kLocked, naming each process) while any other process has the
//     DB or its -journal open: the journal may be a live writer's
//     transaction, and nothing is touched.
//  2. Copies the DB and the -journal into a new folder
//     `<backup_dir>/<db>.evidence.<stamp>/` (evidence_aside.hpp): their
//     bytes from before the rollback. If that fails (kIoError: no space, no
//     folder), nothing is rolled back.
//  3. Opens the DB read-write, never creating it, and reads its schema
//     version: SQLite rolls the journal back into the main file and deletes
//     the journal.
//  4. Fails if SQLite fails (kIntegrityFailed for a DB or journal SQLite
//     finds corrupt, else kIoError), or if the journal is still hot after
//     it; the evidence folder stays either way.
// Does not check the result: the gate that follows does.
[[nodiscard]] Result<JournalRollback> roll_back_hot_journal(
    const HotJournal& found, const std::filesystem::path& backup_dir, Clock::time_point now);

// {"journal", "journal_bytes", "db_bytes", "header_valid"} for the summary
// and `check --json`; the caller adds what it did.
nlohmann::json to_json(const HotJournal& found);

// "/srv/live.db-journal (13824 bytes) beside /srv/live.db (716800 bytes):
// the pages of a transaction that never committed (its writer was cut off)".
std::string describe(const HotJournal& found);

// What `check` says of it: what was read, and what `run` will do.
std::string hot_journal_notice(const HotJournal& found, const std::filesystem::path& backup_dir);

}  // namespace es
