#include "common/restore_record.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <fstream>
#include <sstream>

#include "common/atomic_file.hpp"
#include "common/fs_ops.hpp"
#include "common/json_text.hpp"
#include "common/os_info.hpp"
#include "common/utf8_path.hpp"

namespace es {
namespace fs = std::filesystem;

namespace {

constexpr std::array<std::string_view, 4> kSides{"", "-wal", "-shm", "-journal"};

// A suffix the record may name: nothing that leaves the DB's folder or
// reaches a file the restore did not make.
bool safe_suffix(const std::string& suffix, std::string_view must_start) {
  return suffix.rfind(must_start, 0) == 0 && suffix.find_first_of("/\\") == std::string::npos &&
         std::all_of(suffix.begin(), suffix.end(),
                     [](char c) { return c > 0x20 && c < 0x7f; });
}

Error unreadable(const fs::path& file, const std::string& why) {
  return Error{ExitCode::kIoError,
               "the record of an interrupted restore, " + file.string() + ", " + why +
                   ". It was left as it is: look at the files beside the DB (the .replaced. set "
                   "and any .tmp copy), put them back by hand, then remove it"};
}

}  // namespace

fs::path RestoreRecord::staged() const { return with_suffix(db, staged_suffix); }
fs::path RestoreRecord::from(const std::string& side) const { return with_suffix(db, side); }
fs::path RestoreRecord::to(const std::string& side) const {
  return with_suffix(with_suffix(db, aside_suffix), side);
}

fs::path restore_record_path(const fs::path& db) {
  return with_suffix(db, ".supervisor-restore.json");
}

Result<void> write_restore_record(const RestoreRecord& record) {
  const nlohmann::json json{{"version", 1},
                            {"backup", record.backup},
                            {"staged_suffix", record.staged_suffix},
                            {"staged_complete", record.staged_complete},
                            {"aside_suffix", record.aside_suffix},
                            {"sides", record.sides}};
  return write_file_atomically(restore_record_path(record.db), json_text(json) + "\n");
}

void remove_stale_record_temporaries(const fs::path& db) {
  const auto prefix = restore_record_path(db).filename().string() + ".";
  std::error_code ec;
  for (fs::directory_iterator it(db.parent_path(), ec), end; !ec && it != end; it.increment(ec)) {
    const auto name = it->path().filename().string();
    if (!name.starts_with(prefix) || !name.ends_with(".tmp")) continue;
    const auto pid = name.substr(prefix.size(), name.size() - prefix.size() - 4);
    if (pid.empty() || pid.size() > 9 || pid.find_first_not_of("0123456789") != std::string::npos) {
      continue;
    }
    if (std::stol(pid) == current_process_id() || process_exists(std::stol(pid))) continue;
    (void)remove_file(it->path());
  }
}

Result<std::optional<RestoreRecord>> read_restore_record(const fs::path& db) {
  // A record's own temporary, left by a kill mid-write: the record before
  // it (or none) still stands.
  remove_stale_record_temporaries(db);
  const auto file = restore_record_path(db);
  std::error_code ec;
  if (!fs::exists(fs::symlink_status(file, ec))) return std::optional<RestoreRecord>{};
  std::ifstream in(file, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in && !in.eof()) return unreadable(file, "cannot be read");
  const auto json = nlohmann::json::parse(text.str(), nullptr, false);
  if (!json.is_object() || json.value("version", 0) != 1) return unreadable(file, "is not one");
  RestoreRecord record;
  record.db = db;
  try {
    record.backup = json.at("backup").get<std::string>();
    record.staged_suffix = json.at("staged_suffix").get<std::string>();
    record.staged_complete = json.at("staged_complete").get<bool>();
    record.aside_suffix = json.at("aside_suffix").get<std::string>();
    record.sides = json.at("sides").get<std::vector<std::string>>();
  } catch (const nlohmann::json::exception& e) {
    return unreadable(file, std::string("has a field missing or of the wrong type (") + e.what() + ")");
  }
  const bool sides_known = std::all_of(record.sides.begin(), record.sides.end(), [](const auto& s) {
    return std::find(kSides.begin(), kSides.end(), s) != kSides.end();
  });
  if (!safe_suffix(record.staged_suffix, ".") || !record.staged_suffix.ends_with(".tmp") ||
      (!record.sides.empty() && !safe_suffix(record.aside_suffix, ".replaced.")) || !sides_known) {
    return unreadable(file, "names files that are not the restore's own");
  }
  return std::optional<RestoreRecord>{std::move(record)};
}

Result<void> remove_restore_record(const fs::path& db) {
  auto removed = remove_file(restore_record_path(db));
  if (!removed) return removed.error();
  return sync_folder(db.parent_path());
}

}  // namespace es
