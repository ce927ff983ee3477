#include "support/run_fixture.hpp"

namespace es::test {
namespace fs = std::filesystem;

RunFixture::RunFixture() {
  make_db(db());
  fs::create_directory(dir / "backups");
}

void RunFixture::configure(const std::vector<std::string>& engine_args, int stop_grace_seconds,
                           const std::string& database_extra, const std::string& extra_yaml) {
  std::vector<std::string> command{demo_engine_binary(), "--marker", marker().string()};
  command.insert(command.end(), engine_args.begin(), engine_args.end());
  configure_command(command, stop_grace_seconds, database_extra, extra_yaml);
}

void RunFixture::configure_command(const std::vector<std::string>& command, int stop_grace_seconds,
                                   const std::string& database_extra,
                                   const std::string& extra_yaml) {
  // A JSON list is valid YAML flow syntax, with the quoting done for us.
  const std::string text = "database:\n  path: live.db\n  backup_dir: backups\n" + database_extra +
                           "db_safeguards:\n  backup_retention_count: 5\n"
                           "engine:\n  command: " +
                           nlohmann::json(command).dump() +
                           "\n  stop_grace_seconds: " + std::to_string(stop_grace_seconds) +
                           "\nsummary:\n  dir: logs\nlogging:\n  dir: logs\n" + extra_yaml;
  write_file(config(), text);
}

std::vector<std::string> RunFixture::run_argv() const {
  return {supervisor_binary(), "run", "--config", config().string()};
}

CommandResult RunFixture::run() const { return run_command(run_argv(), dir.path()); }

CommandResult RunFixture::command(const std::vector<std::string>& args) const {
  std::vector<std::string> argv{supervisor_binary()};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.insert(argv.end(), {"--config", config().string()});
  return run_command(argv, dir.path());
}

nlohmann::json RunFixture::latest_summary() const {
  return nlohmann::json::parse(read_file(dir / "logs" / "latest.json"));
}

std::string RunFixture::session_log() const {
  return read_file(latest_summary()["supervisor"]["log_file"].get<std::string>());
}

std::vector<fs::path> RunFixture::backups(const std::string& kind) const {
  std::vector<fs::path> found;
  for (const auto& entry : fs::directory_iterator(dir / "backups")) {
    if (entry.path().filename().string().rfind("live.db." + kind + ".", 0) == 0) {
      found.push_back(entry.path());
    }
  }
  return found;
}

long RunFixture::engine_pid() const {
  const auto text = read_file(marker());
  return text.empty() ? -1 : std::stol(text);
}

}  // namespace es::test
