#include "common/session_lock.hpp"
#include "common/utf8_path.hpp"

#include <nlohmann/json.hpp>

namespace es {

std::filesystem::path SessionLock::path_for(const std::filesystem::path& db_path) {
  return with_suffix(db_path, ".supervisor.lock");
}

std::string format_lock_holder(const LockHolder& holder) {
  return nlohmann::json{{"pid", holder.pid},
                        {"run_id", holder.run_id},
                        {"started_at", holder.started_at},
                        {"heartbeat_at", holder.heartbeat_at}}
             .dump() +
         "\n";
}

std::optional<LockHolder> parse_lock_holder(const std::string& text) {
  try {
    const auto json = nlohmann::json::parse(text);
    LockHolder holder;
    holder.pid = json.at("pid").get<long>();
    holder.run_id = json.value("run_id", "");
    holder.started_at = json.value("started_at", "");
    holder.heartbeat_at = json.value("heartbeat_at", "");
    return holder;
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
}

}  // namespace es
