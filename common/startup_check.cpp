#include "common/startup_check.hpp"

#include <future>

#include "common/db_reader.hpp"

namespace es {

StartupCheck run_startup_check(const StartupCheckRequest& request, const CheckProgress& progress,
                               std::stop_token stop) {
  StartupCheck result;
  const BackupStore store(request.gate.db_path, request.gate.backup_dir);
  std::error_code ec;
  // A missing DB has nothing to back up; the gate decides what that means.
  const bool db_exists = std::filesystem::exists(request.gate.db_path, ec);
  result.backup_attempted = request.take_backup && db_exists;

  // A byte copy leaves its structure check to the gate, which reads the same
  // bytes if the DB's files are as they were before both began.
  const auto files_before = read_db_files_state(request.gate.db_path);
  std::future<Result<PreparedBackup>> prepared;
  if (result.backup_attempted) {
    prepared = std::async(std::launch::async, [&store, &request, stop] {
      return store.prepare(request.backup_kind, Clock::now(), {}, stop, request.run_gate);
    });
  }
  // With the check turned off, a missing DB is still refused: that guard
  // costs nothing and a vanished DB must never become a fresh one.
  if (request.run_gate || !db_exists) {
    result.gate = run_integrity_gate(request.gate, progress, stop);
  } else {
    result.gate.report.db_path = request.gate.db_path;
    result.gate.report.verdict = CheckVerdict::kOk;
    result.gate.report.rows = {"skipped"};
  }
  if (!result.backup_attempted) {
    result.stopped = stop.stop_requested();
    return result;
  }

  auto copy = prepared.get();
  result.stopped = stop.stop_requested();
  if (result.stopped || !result.gate.passed()) {
    result.backup_attempted = false;  // the copy is discarded with `copy`
    return result;
  }
  if (!copy) {
    result.backup_error = copy.error();
    return result;
  }
  if (copy->awaits_gate()) {
    const bool checked_same_bytes = request.run_gate && result.gate.report.ok() &&
                                    read_db_files_state(request.gate.db_path) == files_before;
    if (checked_same_bytes) {
      copy->accept_gate(result.gate.report.schema_objects);
    } else if (auto verified = store.verify(*copy, stop); !verified) {
      result.stopped = stop.stop_requested();
      result.backup_error = verified.error();
      return result;
    }
  }
  auto taken = store.commit(std::move(*copy), request.retention);
  if (taken && taken->skipped) {
    result.backup_skipped = taken->skipped;
  } else if (taken) {
    result.backup = std::move(*taken);
  } else {
    result.backup_error = taken.error();
  }
  return result;
}

}  // namespace es
