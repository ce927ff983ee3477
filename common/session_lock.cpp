#include "common/session_lock.hpp"
#include "common/utf8_path.hpp"

#include <nlohmann/json.hpp>

#include "common/json_text.hpp"

namespace es {

std::filesystem::path SessionLock::path_for(const std::filesystem::path& db_path) {
  return with_suffix(db_path, ".supervisor.lock");
}

Result<void> SessionLock::probe(const std::filesystem::path& db_path) {
  std::error_code ec;
  if (!std::filesystem::exists(std::filesystem::symlink_status(path_for(db_path), ec))) return {};
  // The file exists, so taking the lock creates nothing; it is let go at once.
  auto lock = acquire(db_path);
  if (!lock) return lock.error();
  return {};
}

namespace session_lock_detail {

std::optional<Error> missing_db_folder(const std::filesystem::path& db_path) {
  std::error_code ec;
  if (std::filesystem::is_directory(db_path.parent_path(), ec)) return std::nullopt;
  return Error{ExitCode::kDbMissing, "the DB's folder " + db_path.parent_path().string() +
                                         " does not exist: check database.path"};
}

Error held_elsewhere(const std::filesystem::path& db_path, const std::filesystem::path& lock_path,
                     const std::string& lock_content) {
  const auto holder = parse_lock_holder(lock_content);
  const std::string who = holder ? "supervisor pid " + std::to_string(holder->pid) + " (run " +
                                       holder->run_id + ", started " + holder->started_at + ")"
                                 : "another supervisor (its lock file names no holder yet)";
  return Error{ExitCode::kLocked,
               "another supervisor holds this DB: " + who + " has the lock " + lock_path.string() +
                   " on " + db_path.string() +
                   ". Stop that run first (or wait for it to finish); this one changes nothing."};
}

}  // namespace session_lock_detail

std::string format_lock_holder(const LockHolder& holder) {
  nlohmann::json json{{"pid", holder.pid},
                      {"run_id", holder.run_id},
                      {"started_at", holder.started_at},
                      {"heartbeat_at", holder.heartbeat_at}};
  // Command lines are any bytes: json_text never throws on them.
  if (!holder.engine_tree.empty()) json["engine_tree"] = to_json(holder.engine_tree);
  return json_text(json) + "\n";
}

std::optional<LockHolder> parse_lock_holder(const std::string& text) {
  try {
    const auto json = nlohmann::json::parse(text);
    LockHolder holder;
    holder.pid = json.at("pid").get<long>();
    holder.run_id = json.value("run_id", "");
    holder.started_at = json.value("started_at", "");
    holder.heartbeat_at = json.value("heartbeat_at", "");
    if (const auto tree = json.find("engine_tree"); tree != json.end()) {
      if (auto record = engine_tree_from_json(*tree)) holder.engine_tree = std::move(*record);
    }
    return holder;
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
}

}  // namespace es
