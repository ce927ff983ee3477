#include "torture/backup_torture_support.hpp"

#include <nlohmann/json.hpp>

#include "support/test_db.hpp"
#include "torture/torture_mode.hpp"

namespace es::torture {

std::string how_to_reproduce(const std::string& test_name, std::uint64_t seed) {
  return "reproduce: ES_TORTURE_SEED=" + std::to_string(torture_mode().base_seed) +
         " ES_TORTURE_ONLY=" + std::to_string(seed) + " build/tests/torture/es_torture -tc='" +
         test_name + "'";
}

void write_run_config(const test::RunFixture& f, const std::filesystem::path& backup_dir,
                      int retention_count, const std::vector<std::string>& engine_args) {
  std::vector<std::string> command{test::demo_engine_binary(), "--marker", f.marker().string()};
  command.insert(command.end(), engine_args.begin(), engine_args.end());
  // JSON strings are valid YAML flow scalars: the quoting is done for us.
  test::write_file(f.config(),
                   "database:\n  path: live.db\n  backup_dir: " + nlohmann::json(backup_dir.string()).dump() +
                       "\ndb_safeguards:\n  backup_retention_count: " +
                       std::to_string(retention_count) +
                       "\nengine:\n  command: " + nlohmann::json(command).dump() +
                       "\n  stop_grace_seconds: 10\nsummary:\n  dir: logs\nlogging:\n  dir: logs\n");
}

std::string first_lines(const std::vector<std::string>& lines, std::size_t limit) {
  std::string text;
  for (std::size_t i = 0; i < lines.size() && i < limit; ++i) text += lines[i] + "\n";
  if (lines.size() > limit) text += "... and " + std::to_string(lines.size() - limit) + " more\n";
  return text;
}

}  // namespace es::torture
