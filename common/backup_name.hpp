#pragma once
// The names of the supervisor's own backup files, and nothing else's.
//
//   <db file name>.<kind>.<UTC YYYYMMDDTHHMMSSZ>[-N]     e.g. live.db.bak.20260422T142300Z-2
//
// parse_backup_name() accepts a name only if the whole of it matches this
// pattern for the given DB, so retention can never mistake another file
// (another DB's backup, live.db.bak.notes.txt, a temporary) for a backup.
// Pure functions; thread-safe.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "common/time_stamp.hpp"

namespace es {

// kLive: taken while the engine runs (db_safeguards.in_session_backup_minutes).
enum class BackupKind { kPreSession, kPostSession, kManual, kLive };

std::string_view to_string(BackupKind kind);  // "bak", "post", "manual", "live"
std::optional<BackupKind> backup_kind_from_string(std::string_view text);

struct BackupName {
  BackupKind kind = BackupKind::kManual;
  Clock::time_point stamp;
  int sequence = 1;  // 1 for the first backup in a second, then 2, 3, ...

  // Newer first: by stamp, then by sequence.
  bool newer_than(const BackupName& other) const;
};

std::string format_backup_name(std::string_view db_file_name, const BackupName& name);

std::optional<BackupName> parse_backup_name(std::string_view file_name,
                                            std::string_view db_file_name);

}  // namespace es
