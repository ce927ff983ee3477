#pragma once
// A folder with a real DB, a config that runs the real demo engine, and
// readers for what a run leaves behind (summary, backups, history).

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "support/temp_dir.hpp"
#include "support/test_db.hpp"

namespace es::test {

struct RunFixture {
  TempDir dir;

  RunFixture();
  std::filesystem::path db() const { return dir / "live.db"; }
  std::filesystem::path marker() const { return dir / "engine.started"; }
  std::filesystem::path config() const { return dir / "engine-supervisor.yaml"; }

  // Writes the config: the demo engine with `engine_args` (plus --marker).
  // `extra_yaml` is appended verbatim (more sections).
  void configure(const std::vector<std::string>& engine_args, int stop_grace_seconds = 10,
                 const std::string& database_extra = "", const std::string& extra_yaml = "");
  // The same, with `command` as engine.command as it stands (a wrapper
  // shell, say).
  void configure_command(const std::vector<std::string>& command, int stop_grace_seconds = 10,
                         const std::string& database_extra = "", const std::string& extra_yaml = "");

  std::vector<std::string> run_argv() const;
  CommandResult run() const;  // a whole run, to completion
  // `engine-supervisor <args> --config <this config>`, to completion.
  CommandResult command(const std::vector<std::string>& args) const;

  nlohmann::json latest_summary() const;
  std::string session_log() const;  // the latest summary's log_file
  std::vector<std::filesystem::path> backups(const std::string& kind) const;
  long engine_pid() const;  // from the marker file the engine writes first
};

}  // namespace es::test
