#include "supervisor/restore_resume.hpp"

#include <spdlog/spdlog.h>

#include "common/db_at_rest.hpp"
#include "common/time_stamp.hpp"

namespace es {
namespace fs = std::filesystem;

namespace {

// The restored DB is the one the next run must find: recorded like the end
// of a run, so the next start's continuity check compares with it and not
// with the DB it replaced.
void record_restored_db(const RunHistory& history, const fs::path& db, const std::string& backup) {
  auto looked = look_at_db(db, true);
  if (!looked) {
    spdlog::warn("could not record the restored DB ({}); the next run will find it changed and "
                 "ask for --accept-changed-db",
                 looked.error().message);
    return;
  }
  auto event = db_at_rest_event(*looked, "restore", iso8601_utc(Clock::now()));
  event["backup"] = backup;
  if (auto appended = history.append(event); !appended) {
    spdlog::warn("could not record the restored DB in the history ({}); the next run will find "
                 "it changed and ask for --accept-changed-db",
                 appended.error().message);
  }
}

}  // namespace

void record_restore(const RunHistory& history, const fs::path& db, const std::string& backup,
                    const std::vector<RestoreMove>& moved, bool installed,
                    const CheckReport& report) {
  nlohmann::json moves = nlohmann::json::array();
  for (const auto& move : moved) {
    moves.push_back({{"from", move.from.string()}, {"to", move.to.string()}});
  }
  if (auto appended = history.append({{"event", "restore"},
                                      {"at", iso8601_utc(Clock::now())},
                                      {"backup", backup},
                                      {"moved_aside", moves},
                                      // Completed: in place and ok, what exit 0 means.
                                      {"completed", installed && report.ok()},
                                      {"installed", installed},
                                      {"integrity_check", report.first_failure()}});
      !appended) {
    spdlog::warn("could not record the restore in the history: {}", appended.error().message);
  }
  if (installed) record_restored_db(history, db, backup);
}

Result<std::optional<CutOffRestore>> finish_interrupted_restore(const fs::path& db) {
  auto resumed = resume_restore(db, [](const std::string& done) {
    spdlog::info("{}", done);
    return true;
  });
  if (!resumed) {
    return Error{resumed.error().exit_code,
                 "a restore of " + db.string() + " was cut off, and it cannot be finished: " +
                     resumed.error().message};
  }
  if (!*resumed) return std::optional<CutOffRestore>{};
  const auto& record = (*resumed)->record;
  if (!(*resumed)->finished) {
    return std::optional<CutOffRestore>{CutOffRestore{
        false, "a restore of " + db.string() + " from " + record.backup +
        " was cut off while it copied the backup; it was undone (the partial copy removed, "
        "nothing had been moved): the DB is as it was"}};
  }
  const auto report = run_integrity_check(db, CheckMode::kFull);
  record_restore(RunHistory(RunHistory::path_for(db)), db, record.backup, (*resumed)->moved, true,
                 report);
  std::string aside;
  for (const auto& move : (*resumed)->moved) aside += " " + move.to.string();
  if (!report.ok()) {
    return Error{ExitCode::kIntegrityFailed, "restored " + db.string() +
                                                 " but its integrity_check says: " +
                                                 report.first_failure()};
  }
  return std::optional<CutOffRestore>{CutOffRestore{
      true, "a restore of " + db.string() + " from " + record.backup +
      " was cut off; it was finished now: the restored copy is in place (integrity_check ok), "
      "and the DB it replaced is in" + (aside.empty() ? " no file (there was none)" : aside)}};
}

}  // namespace es
