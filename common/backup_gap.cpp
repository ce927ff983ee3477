#include "common/backup_gap.hpp"

#include <sstream>

#include "common/backup_retention.hpp"
#include "common/utf8_path.hpp"

namespace es {
namespace fs = std::filesystem;

namespace {

std::optional<Clock::time_point> parse_time(const std::optional<std::string>& text) {
  if (!text) return std::nullopt;
  return parse_iso8601_utc(*text);
}

}  // namespace

namespace {

// The run the history names as having taken this backup, if any: its
// pre-session backup is taken before its engine starts, its post-session
// backup after its engine has exited. Exact, where stamps of one-second
// resolution can tie with a short session or a fast next start.
std::optional<std::size_t> taking_run(BackupKind kind, const std::string& backup_file_name,
                                      const std::vector<RunRecord>& runs) {
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const auto& run = runs[i];
    if (kind == BackupKind::kPreSession) {
      const auto named = run.started.find("pre_session_backup");
      if (named != run.started.end() && named->is_string() &&
          named->get<std::string>() == backup_file_name) {
        return i;
      }
    } else if (kind == BackupKind::kPostSession && run.post_session_backup == backup_file_name) {
      return i;
    }
  }
  return std::nullopt;
}

}  // namespace

std::vector<RunAfterBackup> runs_after_backup(Clock::time_point taken,
                                              std::optional<BackupKind> kind,
                                              const std::string& backup_file_name,
                                              const std::vector<RunRecord>& runs) {
  std::vector<RunAfterBackup> after;
  const auto wrote = [](const RunRecord& run) { return run.engine_pid.has_value(); };
  if (kind && *kind != BackupKind::kManual) {
    if (const auto taker = taking_run(*kind, backup_file_name, runs)) {
      // The history is in time order: the taking run (from its pre-session
      // backup on) and every later one.
      const auto first = *kind == BackupKind::kPreSession ? *taker : *taker + 1;
      for (std::size_t i = first; i < runs.size(); ++i) {
        if (wrote(runs[i])) after.push_back({runs[i].run_id, runs[i].outcome, false});
      }
      return after;
    }
  }
  // By time. Only a manual or an in-session backup (or a file of unknown
  // origin) can have been taken while an engine ran: the supervisor takes
  // its pre- and post-session ones with none running.
  const bool maybe_during_a_run =
      !kind || *kind == BackupKind::kManual || *kind == BackupKind::kLive;
  for (const auto& run : runs) {
    if (!wrote(run)) continue;
    // Histories from before engine_started carried its time have the run's
    // start, which is earlier: such a run can only come out as partly after.
    const auto engine_started = parse_time(run.engine_started_at ? run.engine_started_at
                                                                 : std::optional(run.started_at));
    if (engine_started && *engine_started > taken) {
      after.push_back({run.run_id, run.outcome, false});
      continue;
    }
    const auto ended = parse_time(run.ended_at);
    if (maybe_during_a_run && (!ended || *ended >= taken)) {
      after.push_back({run.run_id, run.outcome, true});
    }
  }
  return after;
}

std::string BackupGap::describe() const {
  std::ostringstream out;
  if (!taken) return "when it was taken is unknown (its name has no stamp and its file time cannot be read)";
  if (stamp_in_future) {
    out << "its name says it was taken " << iso8601_utc(*taken)
        << ", in the future (the clock was ahead): which runs came after it cannot be told "
           "from the history";
    return out.str();
  }
  out << "taken " << iso8601_utc(*taken) << (taken_from_file_time ? " (its file's time)" : "");
  if (db_last_written && *db_last_written > *taken) {
    out << ", " << describe_age(std::chrono::duration_cast<std::chrono::seconds>(*db_last_written - *taken))
        << " before the DB was last written (" << iso8601_utc(*db_last_written) << ")";
  }
  if (!history_found) {
    out << "; there is no run history beside the DB to say which runs wrote after it";
    return out.str();
  }
  if (runs.empty()) {
    out << "; no supervised run has started the engine since then";
    return out.str();
  }
  out << "; runs since then: ";
  for (std::size_t i = 0; i < runs.size(); ++i) {
    if (i > 0) out << ", ";
    out << runs[i].run_id << " " << runs[i].outcome
        << (runs[i].partly ? " (running when it was taken)" : "");
  }
  out << (runs.size() == 1 ? "; its writes are not in it" : "; their writes are not in it");
  return out.str();
}

BackupGap find_backup_gap(const fs::path& db, const fs::path& backup, Clock::time_point now) {
  BackupGap gap;
  const auto file_name = backup.filename().string();
  const auto name = parse_backup_name(file_name, db.filename().string());
  if (name) {
    gap.taken = name->stamp;
  } else {
    std::error_code ec;
    const auto modified = fs::last_write_time(backup, ec);
    if (!ec) {
      gap.taken = std::chrono::time_point_cast<Clock::duration>(
          std::chrono::file_clock::to_sys(modified));
      gap.taken_from_file_time = true;
    }
  }
  if (!gap.taken) return gap;
  for (const auto& file : {db, with_suffix(db, "-wal")}) {
    std::error_code ec;
    const auto modified = fs::last_write_time(file, ec);
    if (ec) continue;
    const auto written =
        std::chrono::time_point_cast<Clock::duration>(std::chrono::file_clock::to_sys(modified));
    if (!gap.db_last_written || written > *gap.db_last_written) gap.db_last_written = written;
  }
  if (*gap.taken > now) {
    gap.stamp_in_future = true;
    return gap;
  }
  const RunHistory history(RunHistory::path_for(db));
  std::error_code ec;
  gap.history_found = fs::exists(history.file(), ec);
  if (!gap.history_found) return gap;
  gap.runs = runs_after_backup(*gap.taken, name ? std::optional(name->kind) : std::nullopt,
                               file_name, history.load().runs);
  return gap;
}

}  // namespace es
