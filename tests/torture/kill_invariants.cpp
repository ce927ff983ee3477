#include "torture/kill_invariants.hpp"

#include <sys/stat.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "common/backup_name.hpp"
#include "common/integrity_check.hpp"
#include "common/sqlite_db.hpp"
#include "torture/torture_mode.hpp"

namespace es::torture {
namespace fs = std::filesystem;

std::string reproduce_line(const std::string& test_name, std::uint64_t iteration_seed) {
  std::error_code ec;
  const auto self = fs::read_symlink("/proc/self/exe", ec);
  const auto& mode = torture_mode();
  return "reproduce: ES_TORTURE_MODE=" + std::string(mode.long_mode ? "long" : "short") +
         " ES_TORTURE_SEED=" + std::to_string(mode.base_seed) +
         " ES_TORTURE_ONLY=" + std::to_string(iteration_seed) + " " +
         (ec ? std::string("es_torture") : self.string()) + " -tc='" + test_name + "'";
}

bool engine_gone(const test::RunFixture& fixture, double seconds) {
  if (!fs::exists(fixture.marker())) return true;
  const auto pid = static_cast<int>(fixture.engine_pid());
  return pid <= 0 || test::wait_until([pid] { return !test::process_alive(pid); }, seconds);
}

BackupAudit BackupAuditor::audit() {
  BackupAudit audit;
  for (const auto& entry : fs::directory_iterator(backup_dir_)) {
    const auto name = entry.path().filename().string();
    struct stat info {};
    if (!entry.is_regular_file() || entry.is_symlink() || !parse_backup_name(name, db_file_) ||
        ::stat(entry.path().c_str(), &info) != 0) {
      audit.others.push_back(name);
      continue;
    }
    const Identity identity{info.st_ino, static_cast<std::uintmax_t>(info.st_size),
                            info.st_mtim.tv_sec * 1'000'000'000LL + info.st_mtim.tv_nsec};
    if (const auto known = verified_.find(name);
        known != verified_.end() && known->second == identity) {
      ++audit.verified;
      continue;
    }
    const auto report = run_integrity_check(entry.path(), CheckMode::kFull);
    if (report.ok() && report.page_count > 0) {
      verified_[name] = identity;
      ++audit.verified;
    } else {
      verified_.erase(name);
      audit.failures.push_back(name + ": " + (report.ok() ? "no pages" : report.first_failure()));
    }
  }
  return audit;
}

HistoryAudit audit_history(const fs::path& db) {
  HistoryAudit audit;
  const RunHistory history(RunHistory::path_for(db));
  audit.loaded = history.load();
  audit.problems = audit.loaded.warnings;
  std::ifstream in(history.file(), std::ios::binary);
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (!nlohmann::json::accept(line)) {
      audit.problems.push_back("history line " + std::to_string(number) + " is not JSON: " + line);
    }
  }
  return audit;
}

std::optional<std::string> latest_summary_problem(const fs::path& summary_dir) {
  const auto latest = summary_dir / "latest.json";
  if (!fs::exists(latest)) return std::nullopt;
  const auto text = test::read_file(latest);
  if (!nlohmann::json::accept(text)) return "latest.json does not parse: " + text;
  const auto summary = nlohmann::json::parse(text);
  if (!summary.is_object() || !summary.contains("run_id") || !summary.contains("outcome")) {
    return "latest.json has no run_id or outcome: " + text;
  }
  return std::nullopt;
}

std::set<std::int64_t> committed_ids_in_log(const fs::path& session_log) {
  static const std::string kMark = "[engine stdout] committed txn ";
  std::set<std::int64_t> ids;
  std::ifstream in(session_log, std::ios::binary);
  std::string line;
  while (std::getline(in, line)) {
    const auto at = line.find(kMark);
    if (at != std::string::npos) ids.insert(std::stoll(line.substr(at + kMark.size())));
  }
  return ids;
}

std::set<std::int64_t> order_ids(const fs::path& db) {
  std::set<std::int64_t> ids;
  auto connection = SqliteDb::open_read_only(db);
  if (!connection) return ids;
  auto statement = SqliteStatement::prepare(*connection, "SELECT id FROM orders");
  if (!statement) return ids;
  while (statement->step() == SQLITE_ROW) ids.insert(statement->column_int(0));
  return ids;
}

std::optional<RunRecord> run_of_supervisor(const LoadedHistory& history, int supervisor_pid) {
  const auto suffix = "-" + std::to_string(supervisor_pid);
  for (auto it = history.runs.rbegin(); it != history.runs.rend(); ++it) {
    if (it->run_id.ends_with(suffix)) return *it;
  }
  return std::nullopt;
}

std::string join_lines(const std::vector<std::string>& lines) {
  std::string text;
  for (const auto& line : lines) text += line + "\n";
  return text;
}

std::string describe(const std::vector<std::int64_t>& ids, std::size_t at_most) {
  std::string text;
  for (std::size_t i = 0; i < ids.size() && i < at_most; ++i) {
    text += (i ? ", " : "") + std::to_string(ids[i]);
  }
  if (ids.size() > at_most) text += ", … (" + std::to_string(ids.size()) + " in all)";
  return text;
}

}  // namespace es::torture
