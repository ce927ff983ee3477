#include "supervisor/commands/config_source.hpp"

#include <spdlog/spdlog.h>

#include "common/console.hpp"
#include "common/db_real_path.hpp"
#include "common/file_owner.hpp"
#include "common/logging.hpp"
#include "common/os_info.hpp"
#include "common/shell_command.hpp"
#include "common/utf8_path.hpp"

namespace es {
namespace fs = std::filesystem;

Result<LoadedTarget> load_target(const TargetOptions& options) {
  if (options.db_path) {
    auto config = config_for_database(utf8_path(*options.db_path), fs::current_path());
    resolve_db_path(config.database);
    return LoadedTarget{config, "--db " + shell_quote(config.database.path.string())};
  }
  std::optional<fs::path> explicit_file;
  if (options.config_file) explicit_file = utf8_path(*options.config_file);
  auto file = find_config_file(explicit_file, fs::current_path(), executable_path().parent_path());
  if (!file) return file.error();
  auto config = load_config(*file);
  if (!config) return config.error();
  resolve_db_path(config->database);
  return LoadedTarget{*config, "--config " + shell_quote(file->string())};
}

Result<LoadedTarget> load_target_or_report(const TargetOptions& options) {
  auto target = load_target(options);
  if (!target) {
    report_failure(target.error());
    return target;
  }
  // Before any file is made for the DB: root's files would lock its owner out.
  if (auto note = give_created_files_to_db_owner(target->config.database.path)) {
    spdlog::info("{}", *note);
  }
  return target;
}

Result<LoadedTarget> load_target_and_log(const TargetOptions& options) {
  auto target = load_target_or_report(options);
  if (!target) return target;
  if (!target->config.source_file.empty()) {
    auto logging = start_file_logging(target->config.logging_dir, target->config.logging_level);
    if (!logging) spdlog::warn("{} — logging to the console only", logging.error().message);
  }
  return target;
}

void report_failure(const Error& error) {
  std::string text = error.message;
  if (text.empty() || text.back() != '\n') text += '\n';
  console_write(ConsoleStream::kErr, text);
  log_to_files_only(text);
}

}  // namespace es
