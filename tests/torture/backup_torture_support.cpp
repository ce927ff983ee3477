#include "torture/backup_torture_support.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "common/sqlite_db.hpp"
#include "support/test_db.hpp"
#include "torture/backup_name_oracle.hpp"
#include "torture/torture_mode.hpp"

namespace es::torture {

std::string how_to_reproduce(const std::string& test_name, std::uint64_t seed) {
  // doctest splits -tc at commas unless escaped; single quotes keep the
  // backslash from the shell. No test name holds a single quote.
  std::string filter;
  for (const char c : test_name) {
    if (c == ',') filter += '\\';
    filter += c;
  }
  return "reproduce: ES_TORTURE_SEED=" + std::to_string(torture_mode().base_seed) +
         " ES_TORTURE_ONLY=" + std::to_string(seed) + " build/tests/torture/es_torture -tc='" +
         filter + "'";
}

void write_run_config(const test::RunFixture& f, const std::filesystem::path& backup_dir,
                      int retention_count, const std::vector<std::string>& engine_args) {
  std::vector<std::string> command{test::demo_engine_binary(), "--marker", f.marker().string()};
  command.insert(command.end(), engine_args.begin(), engine_args.end());
  // JSON strings are valid YAML flow scalars: the quoting is done for us.
  test::write_file(
      f.config(),
      "database:\n  path: live.db\n  backup_dir: " + nlohmann::json(backup_dir.string()).dump() +
          "\ndb_safeguards:\n  backup_retention_count: " + std::to_string(retention_count) +
          "\n  backup_keep_daily: 0\n  backup_keep_weekly: 0" +
          "\nengine:\n  command: " + nlohmann::json(command).dump() +
          "\n  stop_grace_seconds: 10\nsummary:\n  dir: logs\nlogging:\n  dir: logs\n");
}

std::string sessions_ended_at(const std::filesystem::path& db) {
  auto conn = SqliteDb::open_read_only(db);
  REQUIRE_MESSAGE(conn.has_value(), conn.error().message);
  auto statement = SqliteStatement::prepare(
      *conn, "SELECT coalesce(ended_at, '') FROM sessions ORDER BY id DESC LIMIT 1");
  REQUIRE(statement.has_value());
  REQUIRE(statement->step() == SQLITE_ROW);
  return statement->column_text(0);
}

bool has_warning(const nlohmann::json& health, const std::string& text) {
  for (const auto& warning : health["warnings"]) {
    if (warning.get<std::string>() == text) return true;
  }
  return false;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

std::set<std::string> retention_victims(const FolderState& folder, const std::string& db_file,
                                        const std::string& kind, int keep) {
  std::vector<std::pair<OracleName, std::string>> of_kind;
  for (const auto& [name, state] : folder) {
    if (state.type != EntryType::kFile) continue;
    if (auto parsed = oracle_parse(name, db_file); parsed && parsed->kind == kind) {
      of_kind.emplace_back(*parsed, name);
    }
  }
  std::sort(of_kind.begin(), of_kind.end(),
            [](const auto& a, const auto& b) { return a.first.newer_than(b.first); });
  std::set<std::string> victims;
  for (std::size_t i = static_cast<std::size_t>(std::max(keep - 1, 0)); i < of_kind.size(); ++i) {
    victims.insert(of_kind[i].second);
  }
  return victims;
}

std::string first_lines(const std::vector<std::string>& lines, std::size_t limit) {
  std::string text;
  for (std::size_t i = 0; i < lines.size() && i < limit; ++i) text += lines[i] + "\n";
  if (lines.size() > limit) text += "... and " + std::to_string(lines.size() - limit) + " more\n";
  return text;
}

}  // namespace es::torture
