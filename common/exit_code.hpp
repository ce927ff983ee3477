#pragma once
// The process exit codes of every engine-supervisor command, in one place.
// Only main() turns an ExitCode into a process exit; everything else passes
// values around. The table is documented in README.md and docs/exit-codes.md.

namespace es {

enum class ExitCode : int {
  kSuccess = 0,           // success; for `run`, a clean session
  kUnclean = 1,           // `run` only: the engine ran and the session ended unclean
                          // (also: stopped by the operator before the engine started)
  // `status` only, as `systemctl is-active` would: no run is live and the
  // last one did not end clean (3); no run is recorded at all (4).
  kStatusNotClean = 3,
  kStatusNoHistory = 4,
  kUsage = 64,            // usage error
  kIntegrityFailed = 65,  // the DB is not `ok`, or changed between sessions; the session
                          // was aborted
  kDbMissing = 66,        // DB missing, or empty while backups of it exist (for `run`, also
                          // gone since the last run recorded it)
  kEngineNotStarted = 69, // the engine could not be started
  kIoError = 74,          // a backup, restore or snapshot could not be written
  kLocked = 75,           // another supervisor holds this DB, or another process has it open
  kConfigInvalid = 78,    // configuration invalid, or a DB location the config forbids
                          // (a network filesystem under require_local_filesystem)
};

constexpr int to_int(ExitCode code) { return static_cast<int>(code); }

}  // namespace es
