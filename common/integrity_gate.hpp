#pragma once
// The integrity gate: may the engine start on this DB?
//
// Fails closed. The DB passes only if it exists (or allow_missing says a
// missing DB is a first run), its check says `ok`, and it is not empty while
// backups of it that hold tables exist: a 0-byte or schema-less DB passes
// integrity_check, but beside such backups it means data was lost. (A backup
// without tables is no such evidence: see BackupStore::count_holding_tables.) A failure carries the exact message
// an operator needs: the headline, the DB, the first failure rows, the newest
// backup that verifies and the command that restores it.
// Before any of that, the WAL's own evidence (wal_evidence.hpp): committed
// transactions the -shm records and the -wal no longer holds fail the gate
// (wal_lost) before SQLite opens anything, unless the operator accepted the
// loss. A hot rollback journal is reported (GateResult::hot_journal), and
// the DB is checked as its rollback will leave it. Never creates or changes
// the DB or a file beside it. Blocking.

#include <filesystem>
#include <optional>
#include <string>

#include "common/backup_store.hpp"
#include "common/hot_journal.hpp"
#include "common/integrity_check.hpp"
#include "common/wal_evidence.hpp"

namespace es {

inline constexpr std::string_view kWalLostHeadline =
    "Committed transactions are missing from the DB's WAL — session aborted. Restore from a "
    "backup, or accept the loss explicitly before continuing.";

inline constexpr std::string_view kGateFailureHeadline =
    "DB integrity check failed — session aborted. Run a backup or restore from last known-good "
    "backup before continuing.";

struct GateRequest {
  std::filesystem::path db_path;
  std::filesystem::path backup_dir;
  CheckMode mode = CheckMode::kFull;
  bool allow_missing = false;
  // How a pasted restore command names this DB: "--config /x/y.yaml" or "--db /x/live.db",
  // quoted with shell_quote (shell_command.hpp).
  std::string restore_target_argument;
  // Read the WAL's evidence first. `run` reads it in a step of its own, before
  // the gate, and turns this off.
  bool read_wal_evidence = true;
  // A lost WAL is reported but does not fail the gate (run --accept-data-loss).
  bool accept_data_loss = false;
};

struct GateResult {
  CheckReport report;
  bool first_run = false;        // missing DB, allowed: no check was possible
  std::optional<Error> failure;  // kIntegrityFailed or kDbMissing, with the full message
  std::optional<WalEvidence> wal;  // when read
  bool wal_lost = false;           // the failure is the WAL's evidence; no check was run
  // A hot rollback journal beside the DB (hot_journal.hpp). The check read
  // the DB as its rollback will leave it; nothing was rolled back here.
  std::optional<HotJournal> hot_journal;

  bool passed() const { return !failure.has_value(); }
  // What the summary's db_health.integrity_check says.
  std::string summary_line() const;
};

GateResult run_integrity_gate(const GateRequest& request, const CheckProgress& progress = {},
                              std::stop_token stop = {});

// The failure for WAL evidence that refuses (evidence.refuses()): what is
// gone and since when, the newest backup that may hold it, and the two ways
// on (restore it, or run --accept-data-loss). kIntegrityFailed.
Error wal_lost_failure(const GateRequest& request, const WalEvidence& evidence);
// The end of every refusal that offers a restore: the newest backup that
// passes integrity_check and the command that restores it (indented lines),
// or a line saying that no backup verifies. Reads every backup until one
// verifies (a full check each).
std::string restore_advice(const BackupStore& store, const std::string& target_argument);

}  // namespace es
