#pragma once
// One supervised session, `engine-supervisor run`, as the named steps of the
// run issue: lock, recover, check the DB's location, read the WAL's own
// evidence, compare the DB with its record at rest (continuity), roll back a
// hot rollback journal (its evidence set aside first), gate (with the
// pre-backup alongside), check again that it is not open elsewhere, mark running,
// spawn, watch, classify, post-session, record the DB at rest, summary,
// finish.
//
// Returns the exit code: 0 clean, 1 unclean, or the code of the step that
// stopped the run (65/66 continuity or gate, 69 spawn, 74 evidence not set
// aside, 75 lock or DB open elsewhere, 78 network filesystem). Blocking; call from the
// main thread (the engine's death signal is tied to the spawning thread).

#include <string>

#include "common/config.hpp"
#include "common/db_location.hpp"
#include "common/exit_code.hpp"

namespace es {

struct SessionRequest {
  Config config;
  std::string target_argument;  // "--config /x.yaml", for pasted commands
  std::string version;
  FilesystemProbe probe_filesystem = es::probe_filesystem;  // tests stand in a network mount
  // --accept-data-loss: committed transactions lost from the -wal do not
  // stop the run; the loss is recorded and its evidence moved aside.
  bool accept_data_loss = false;
  // run --accept-changed-db: a DB changed between sessions is accepted
  // (and recorded) instead of refused.
  bool accept_changed_db = false;
};

struct SessionEnd {
  ExitCode exit_code = ExitCode::kSuccess;
  std::string outcome;      // clean | unclean | aborted, or "refused" when the lock was held
  std::string halt_reason;  // as in the summary; the error text when refused
  std::string log_file;
};

SessionEnd run_session(const SessionRequest& request);

}  // namespace es
