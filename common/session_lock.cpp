#include "common/session_lock.hpp"

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/db_location.hpp"
#include "common/json_text.hpp"
#include "common/utf8_path.hpp"

namespace es {
namespace fs = std::filesystem;

namespace {

std::string describe(const LockHolder& holder) {
  return "supervisor pid " + std::to_string(holder.pid) + " (run " + holder.run_id + ", started " +
         holder.started_at + ")";
}

constexpr const char* kStopFirst =
    ". Stop that run first (or wait for it to finish); this one changes nothing.";

// The DB file's lock names no one (an open file description lock reports no
// pid), so the holder is found among the processes that have the file open,
// and its record read from the lock file beside the name it opened it by.
Error held_through_another_name(const fs::path& db_path) {
  for (const auto& holder : find_open_holders({db_path})) {
    if (!is_supervisor(holder)) continue;
    std::string who = "engine-supervisor pid " + std::to_string(holder.pid);
    if (!holder.opened_as.empty()) {
      const auto lock_path = SessionLock::path_for(holder.opened_as);
      const auto record = read_lock_record(lock_path);
      if (record && record->pid == holder.pid) who = describe(*record);
      who += " through " + holder.opened_as.string() + " (its lock " + lock_path.string() + ")";
    }
    return Error{ExitCode::kLocked, "another supervisor holds this DB under another name: " + who +
                                        " has the file " + db_path.string() + " itself locked" +
                                        kStopFirst};
  }
  return Error{ExitCode::kLocked,
               "another engine-supervisor holds " + db_path.string() +
                   " through another name (a hard link, or another path to its folder): the file "
                   "itself is locked" +
                   kStopFirst};
}

// The DB file's own lock, with a refusal that names the holder.
Result<std::optional<DbFileLock>> take_db_file_lock(const fs::path& db_path) {
  auto lock = DbFileLock::acquire(db_path);
  if (!lock && lock.error().exit_code == ExitCode::kLocked) {
    return held_through_another_name(db_path);
  }
  return lock;
}

}  // namespace

fs::path SessionLock::path_for(const fs::path& db_path) {
  return with_suffix(db_path, ".supervisor.lock");
}

Result<SessionLock> SessionLock::acquire(const fs::path& db_path) {
  auto lock = lock_file(db_path);
  if (!lock) return lock;
  // The lock file goes by the name; the DB file's own lock by the file.
  auto file_lock = take_db_file_lock(db_path);
  if (!file_lock) return file_lock.error();
  lock->db_path_ = db_path;
  lock->file_lock_ = std::move(*file_lock);
  return lock;
}

Result<void> SessionLock::probe(const fs::path& db_path) {
  std::error_code ec;
  if (fs::exists(fs::symlink_status(path_for(db_path), ec))) {
    // The file exists, so taking the lock creates nothing; it is let go at once.
    auto lock = acquire(db_path);
    if (!lock) return lock.error();
    return {};
  }
  // No lock file under this name, but the DB may be held through another.
  auto file_lock = take_db_file_lock(db_path);
  if (!file_lock) return file_lock.error();
  return {};
}

Result<void> SessionLock::lock_db_file() {
  // Two locks of this process on one file conflict too: the old one goes
  // first. Nothing can hold the restored file meanwhile: it was made a
  // moment ago, and no other name leads to it.
  file_lock_.reset();
  auto fresh = take_db_file_lock(db_path_);
  if (!fresh) return fresh.error();
  file_lock_ = std::move(*fresh);
  return {};
}

std::string SessionLock::record_text(const LockHolder& holder) const {
  LockHolder named = holder;
  named.db_path = db_path_.string();
  return format_lock_holder(named);
}

namespace session_lock_detail {

std::optional<Error> missing_db_folder(const fs::path& db_path) {
  std::error_code ec;
  if (fs::is_directory(db_path.parent_path(), ec)) return std::nullopt;
  return Error{ExitCode::kDbMissing, "the DB's folder " + db_path.parent_path().string() +
                                         " does not exist: check database.path"};
}

Error held_elsewhere(const fs::path& db_path, const fs::path& lock_path,
                     const std::string& lock_content) {
  const auto holder = parse_lock_holder(lock_content);
  std::string who = holder ? describe(*holder)
                           : "another supervisor (its lock file names no holder yet)";
  if (holder && !holder->db_path.empty() && holder->db_path != db_path.string()) {
    who += " through " + holder->db_path;
  }
  return Error{ExitCode::kLocked, "another supervisor holds this DB: " + who + " has the lock " +
                                      lock_path.string() + " on " + db_path.string() + kStopFirst};
}

}  // namespace session_lock_detail

std::string format_lock_holder(const LockHolder& holder) {
  nlohmann::json json{{"pid", holder.pid},
                      {"run_id", holder.run_id},
                      {"started_at", holder.started_at},
                      {"heartbeat_at", holder.heartbeat_at}};
  // Command lines are any bytes: json_text never throws on them.
  if (!holder.engine_tree.empty()) json["engine_tree"] = to_json(holder.engine_tree);
  if (!holder.db_path.empty()) json["db_path"] = holder.db_path;
  return json_text(json) + "\n";
}

std::optional<LockHolder> read_lock_record(const fs::path& lock_file) {
  // A FIFO would block the open: only a regular file holds a record.
  std::error_code ec;
  if (!fs::is_regular_file(lock_file, ec)) return std::nullopt;
  std::ifstream in(lock_file, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return parse_lock_holder(text.str());
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
    holder.db_path = json.value("db_path", "");
    return holder;
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
}

}  // namespace es
