#pragma once
// The integrity gate and the pre-session backup, run side by side.
//
// Both only read the DB, so they use both cores: the backup is copied and
// verified under a temporary name while the gate checks the live file, and
// it becomes a backup (rename, retention) only if the gate passes. A failed
// gate leaves no backup behind; a failed backup never blocks (the caller
// warns). Blocking; uses one extra thread for the backup.
//
// A stop requested through `stop` (from any thread: Ctrl+C) abandons both
// at once, not after a check that takes minutes on a big DB: the gate is
// interrupted, and the copy is dropped with its temporary.

#include <optional>
#include <stop_token>

#include "common/backup_store.hpp"
#include "common/integrity_gate.hpp"

namespace es {

struct StartupCheck {
  GateResult gate;
  bool backup_attempted = false;
  std::optional<TakenBackup> backup;  // set when taken
  std::optional<Error> backup_error;  // set when attempted and failed
  // Set when the copy was not kept because the DB has no tables: why.
  std::optional<std::string> backup_skipped;
  bool stopped = false;  // a stop was requested: neither the gate nor the backup counts
};

struct StartupCheckRequest {
  GateRequest gate;
  bool run_gate = true;       // db_safeguards.integrity_check_on_startup
  bool take_backup = true;    // db_safeguards.pre_session_backup_enabled
  BackupKind backup_kind = BackupKind::kPreSession;
  RetentionPolicy retention;  // db_safeguards' retention keys
};

StartupCheck run_startup_check(const StartupCheckRequest& request,
                               const CheckProgress& progress = {}, std::stop_token stop = {});

}  // namespace es
