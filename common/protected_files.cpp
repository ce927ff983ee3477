#include "common/protected_files.hpp"

#include <algorithm>
#include <vector>

#include "common/backup_name.hpp"
#include "common/backup_store.hpp"
#include "common/file_identity.hpp"
#include "common/run_history.hpp"
#include "common/session_lock.hpp"

namespace es {
namespace fs = std::filesystem;

ProtectedFiles protected_files_of(const Config& config) {
  return {config.database.path, config.database.backup_dir, config.logging_dir,
          config.summary_dir, config.source_file};
}

namespace {

// Where a name leads: its folders' links and `..` resolved, as far as they
// exist. The last component stays as spelled when it does not exist.
fs::path resolved(const fs::path& path) {
  std::error_code ec;
  auto absolute = fs::absolute(path, ec);
  if (ec) absolute = path;
  auto real = fs::weakly_canonical(absolute, ec);
  return ec ? absolute.lexically_normal() : real;
}

// Case-folded (ASCII) UTF-8 text of a path, for comparing names as
// Windows does; elsewhere it only refuses more.
std::string folded(const fs::path& path) {
  const auto u8 = path.generic_u8string();
  std::string text(u8.begin(), u8.end());
  std::transform(text.begin(), text.end(), text.begin(), [](char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
  });
  while (text.size() > 1 && text.back() == '/') text.pop_back();
  return text;
}

bool starts_with(const std::string& text, const std::string& prefix) {
  return text.rfind(prefix, 0) == 0;
}

bool ends_with(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// "name.<pid>.tmp" -> "name"; anything else unchanged. The temporaries of
// AtomicFile (backups, summaries, a restore's copy) end so.
std::string without_temporary_suffix(std::string name) {
  for (const char* side : kSqliteSideFileSuffixes) {
    if (ends_with(name, side)) {
      name.resize(name.size() - std::string_view(side).size());
      break;
    }
  }
  if (!ends_with(name, ".tmp")) return name;
  const auto stem = name.substr(0, name.size() - 4);
  const auto dot = stem.rfind('.');
  if (dot == std::string::npos || dot + 1 == stem.size()) return name;
  if (stem.find_first_not_of("0123456789", dot + 1) != std::string::npos) return name;
  return stem.substr(0, dot);
}

// The DB by two names: as configured (its folder resolved), where the
// supervisor puts its lock, history and restore files, and the file a
// symlink leads to, beside which SQLite keeps the side files.
struct DbPlace {
  std::string name, folder, lock_name, history_name;
};

struct Places {
  fs::path db;  // as configured, its folder resolved: backups are named after it
  std::vector<DbPlace> dbs;
  std::string backup_dir, logging_dir, summary_dir, config_file;
};

Places places_of(const ProtectedFiles& files) {
  Places p;
  p.db = resolved(files.db.parent_path().empty() ? fs::path(".") : files.db.parent_path()) /
         files.db.filename();
  for (const auto& db : {p.db, resolved(files.db)}) {
    p.dbs.push_back({folded(db.filename()), folded(db.parent_path()),
                     folded(SessionLock::path_for(db).filename()),
                     folded(RunHistory::path_for(db).filename())});
  }
  p.backup_dir = folded(resolved(files.backup_dir));
  p.logging_dir = folded(resolved(files.logging_dir));
  p.summary_dir = folded(resolved(files.summary_dir));
  if (!files.config_file.empty()) p.config_file = folded(resolved(files.config_file));
  return p;
}

std::optional<std::string> reason_beside_db(const std::string& name, const DbPlace& db) {
  if (name == db.name) return "the live DB's own file (the DB itself)";
  for (const char* side : kSqliteSideFileSuffixes) {
    if (name == db.name + side) {
      return "the live DB's own file (its " + std::string(side) +
             ", which SQLite reads as part of the DB)";
    }
  }
  if (name == db.lock_name) return "the supervisor's session lock of this DB";
  if (starts_with(name, db.history_name)) return "the supervisor's run history of this DB";
  if (starts_with(name, db.name + ".supervisor")) return "one of the supervisor's files of this DB";
  if (starts_with(name, db.name + ".replaced.")) {
    return "a DB that a restore moved aside (the only copy of what it held)";
  }
  if (without_temporary_suffix(name) == db.name) return "a restore's temporary copy of the DB";
  return std::nullopt;
}

// The reason by the resolved name alone.
std::optional<std::string> reason_by_name(const fs::path& target, const Places& p) {
  const auto name = folded(target.filename());
  const auto folder = folded(target.parent_path());
  if (!p.config_file.empty() && folded(target) == p.config_file) {
    return "the supervisor's config file";
  }
  for (const auto& db : p.dbs) {
    if (folder != db.folder) continue;
    if (auto why = reason_beside_db(name, db)) return why;
  }
  const auto& db_name = p.dbs.front().name;
  if (folder == p.backup_dir) {
    const auto stem = without_temporary_suffix(target.filename().string());
    if (parse_backup_name(stem, p.db.filename().string())) {
      return stem == target.filename().string() ? "a backup of this DB"
                                                : "the temporary of a backup of this DB";
    }
    if (starts_with(name, db_name + ".evidence.")) return "an evidence folder of this DB";
  }
  if (starts_with(folded(target.parent_path().filename()), db_name + ".evidence.") &&
      folded(target.parent_path().parent_path()) == p.backup_dir) {
    return "evidence the supervisor set aside (in " + target.parent_path().string() + ")";
  }
  if (folder == p.logging_dir &&
      ((starts_with(name, "engine-supervisor") && name.find(".log") != std::string::npos) ||
       starts_with(name, "session-"))) {
    return "one of the supervisor's logs";
  }
  if (folder == p.summary_dir && (starts_with(name, "session-") || starts_with(name, "latest.json"))) {
    return "one of the supervisor's session summaries";
  }
  return std::nullopt;
}

// Another name of a protected file: an existing `target` with more than one
// link is compared, by file identity, with each protected file there is.
std::optional<std::string> reason_by_identity(const fs::path& target, const ProtectedFiles& files,
                                              const Places& p) {
  std::error_code ec;
  if (!fs::is_regular_file(target, ec) || fs::hard_link_count(target, ec) < 2 || ec) {
    return std::nullopt;
  }
  const auto stamp = stamp_file(target);
  if (!stamp || !*stamp) return std::nullopt;
  const auto identity = (**stamp).identity;
  std::vector<fs::path> folders = {p.db.parent_path(), resolved(files.db).parent_path(),
                                   resolved(files.backup_dir), resolved(files.logging_dir),
                                   resolved(files.summary_dir)};
  if (!files.config_file.empty()) folders.push_back(resolved(files.config_file).parent_path());
  for (const auto& folder : folders) {
    for (fs::directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec)) {
      const auto candidate = it->path();
      if (folded(candidate) == folded(target)) continue;
      auto why = reason_by_name(candidate, p);
      if (!why) continue;
      const auto other = stamp_file(candidate);
      if (other && *other && (**other).identity == identity) {
        return "another name (a hard link) of " + candidate.string() + ", " + *why;
      }
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> protected_file_reason(const fs::path& path, const ProtectedFiles& files) {
  const auto places = places_of(files);
  const auto target = resolved(path);
  if (auto why = reason_by_name(target, places)) return why;
  return reason_by_identity(target, files, places);
}

std::optional<std::string> output_refusal(const fs::path& dest, const Config& config) {
  if (auto why = protected_file_reason(dest, protected_files_of(config))) return why;
  if (parse_backup_name(dest.filename().string(), config.database.path.filename().string())) {
    return "a backup's name, and backup retention may delete it";
  }
  return std::nullopt;
}

}  // namespace es
