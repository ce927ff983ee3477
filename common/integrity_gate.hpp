#pragma once
// The integrity gate: may the engine start on this DB?
//
// Fails closed. The DB passes only if it exists (or allow_missing says a
// missing DB is a first run), its check says `ok`, and it is not empty while
// backups of it exist: a 0-byte or schema-less DB passes integrity_check, but
// beside backups it means data was lost. A failure carries the exact message
// an operator needs: the headline, the DB, the first failure rows, the newest
// backup that verifies and the command that restores it.
// Never creates or changes the DB (see run_integrity_check). Blocking.

#include <filesystem>
#include <optional>
#include <string>

#include "common/backup_store.hpp"
#include "common/integrity_check.hpp"

namespace es {

inline constexpr std::string_view kGateFailureHeadline =
    "DB integrity check failed — session aborted. Run a backup or restore from last known-good "
    "backup before continuing.";

struct GateRequest {
  std::filesystem::path db_path;
  std::filesystem::path backup_dir;
  CheckMode mode = CheckMode::kFull;
  bool allow_missing = false;
  // How a pasted restore command names this DB: "--config /x/y.yaml" or "--db /x/live.db".
  std::string restore_target_argument;
};

struct GateResult {
  CheckReport report;
  bool first_run = false;        // missing DB, allowed: no check was possible
  std::optional<Error> failure;  // kIntegrityFailed or kDbMissing, with the full message

  bool passed() const { return !failure.has_value(); }
  // What the summary's db_health.integrity_check says.
  std::string summary_line() const;
};

GateResult run_integrity_gate(const GateRequest& request, const CheckProgress& progress = {},
                              std::stop_token stop = {});

// The end of every refusal that offers a restore: the newest backup that
// passes integrity_check and the command that restores it (indented lines),
// or a line saying that no backup verifies. Reads every backup until one
// verifies (a full check each).
std::string restore_advice(const BackupStore& store, const std::string& target_argument);

// A command line an operator can paste: arguments quoted where the shell needs it.
std::string shell_quote(const std::string& argument);

}  // namespace es
