#include "common/session_summary.hpp"

#include "common/json_text.hpp"

#include "common/atomic_file.hpp"
#include "common/fs_ops.hpp"

#include <fstream>
#include <sstream>

namespace es {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {
template <class T>
json or_null(const std::optional<T>& value) {
  return value ? json(*value) : json(nullptr);
}

json at_rest_json(const std::optional<std::vector<FileAtRest>>& files) {
  if (!files) return nullptr;
  json list = json::array();
  for (const auto& file : *files) list.push_back({{"file", file.name}, {"bytes", file.bytes}});
  return list;
}

json to_json(const std::vector<BackupDeletion>& deletions) {
  json list = json::array();
  for (const auto& d : deletions) {
    list.push_back({{"file", d.file},
                    {"kind", d.kind},
                    {"taken_at", d.taken_at},
                    {"age_seconds", d.age_seconds}});
  }
  return list;
}
json left_running_json(const std::optional<std::vector<LeftProcess>>& left) {
  if (!left) return nullptr;
  json list = json::array();
  for (const auto& p : *left) {
    list.push_back({{"pid", p.pid}, {"command", p.command}, {"ended", p.ended}});
  }
  return list;
}

json holders_json(const std::optional<std::vector<OpenHolder>>& holders) {
  if (!holders) return nullptr;
  json list = json::array();
  for (const auto& h : *holders) {
    list.push_back({{"pid", h.pid}, {"executable", h.executable}, {"file", h.file.string()}});
  }
  return list;
}
}  // namespace

json to_json(const SessionSummary& s) {
  const auto& h = s.db_health;
  return json{
      {"run_id", s.run_id},
      {"started_at", s.started_at},
      {"ended_at", s.ended_at},
      {"outcome", s.outcome},
      {"halt_reason", s.halt_reason},
      {"engine",
       {{"command", s.engine.command},
        {"pid", or_null(s.engine.pid)},
        {"exit_code", or_null(s.engine.exit_code)},
        {"signal", or_null(s.engine.signal)},
        {"left_running", left_running_json(s.engine.left_running)},
        {"cgroup", or_null(s.engine.cgroup)}}},
      {"engine_errors", s.engine_errors},
      {"notifications", s.notifications},
      {"db_health",
       {{"integrity_check", h.integrity_check},
        {"pre_session_backup", or_null(h.pre_session_backup)},
        {"post_session_backup", or_null(h.post_session_backup)},
        {"pre_session_backup_error", or_null(h.pre_session_backup_error)},
        {"post_session_backup_error", or_null(h.post_session_backup_error)},
        {"pre_session_backup_skipped", or_null(h.pre_session_backup_skipped)},
        {"post_session_backup_skipped", or_null(h.post_session_backup_skipped)},
        {"db_path", h.db_path},
        {"integrity_check_mode", h.integrity_check_mode},
        {"integrity_check_seconds", h.integrity_check_seconds},
        {"integrity_check_db_bytes", or_null(h.integrity_check_db_bytes)},
        {"post_session_integrity", or_null(h.post_session_integrity)},
        {"post_session_integrity_seconds", h.post_session_integrity_seconds},
        {"wal_frames_checkpointed", or_null(h.wal_frames_checkpointed)},
        {"at_rest", at_rest_json(h.at_rest)},
        {"backup_dir", h.backup_dir},
        {"filesystem_type", h.filesystem_type},
        {"wal_evidence", or_null(h.wal_evidence)},
        {"hot_journal", or_null(h.hot_journal)},
        {"db_checks", h.db_checks},
        {"backups_deleted", to_json(h.backups_deleted)},
        {"in_session_backups", h.in_session_backups},
        {"offsite", h.offsite},
        {"continuity", h.continuity},
        {"continuity_details", h.continuity_details},
        {"open_after_engine", holders_json(h.open_after_engine)},
        {"warnings", h.warnings}}},
      {"supervisor",
       {{"exit_code", or_null(s.supervisor_exit_code)},
        {"log_file", s.log_file},
        {"log_cap", s.log_cap},
        {"config_file", s.config_file},
        {"version", s.supervisor_version}}},
  };
}

fs::path summary_path(const fs::path& summary_dir, const std::string& run_id) {
  return summary_dir / ("session-" + run_id + ".json");
}

Result<fs::path> write_summary(const fs::path& summary_dir, const SessionSummary& summary) {
  if (auto made = create_private_folder(summary_dir); !made) {
    return Error{ExitCode::kIoError, "cannot create summary folder: " + made.error().message};
  }
  const auto text = json_text(to_json(summary), 2) + "\n";
  const auto path = summary_path(summary_dir, summary.run_id);
  if (auto written = write_file_atomically(path, text); !written) return written.error();
  if (auto latest = write_file_atomically(summary_dir / "latest.json", text); !latest) {
    return latest.error();
  }
  return path;
}

nlohmann::json read_summary(const fs::path& file) {
  std::error_code ec;
  if (!fs::is_regular_file(file, ec)) return nlohmann::json::object();
  std::ifstream in(file, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  auto summary = nlohmann::json::parse(text.str(), nullptr, false);
  return summary.is_object() ? summary : nlohmann::json::object();
}

}  // namespace es
