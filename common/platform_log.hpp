#pragma once
// Every run's outcome, and every failure, in the platform's own log, where
// an operator's tools already look: journald on Linux (structured fields,
// through sd_journal_send), syslog(3) where journald does not run, and the
// Windows Event Log (ReportEventW, source "engine-supervisor", which the
// installer registers). One implementation per OS: platform_log_posix.cpp,
// platform_log_windows.cpp. Never blocks for long, never throws; a log that
// cannot be written is said in the returned text.

#include <string>

namespace es {

struct PlatformLogEntry {
  enum class Level { kInfo, kWarning, kError };
  Level level = Level::kInfo;
  std::string message;  // one line
  // Structured fields: RUN_ID, OUTCOME, HALT_REASON, DB.
  std::string run_id;
  std::string outcome;
  std::string halt_reason;
  std::string db;
};

// Where the entry went ("journald", "syslog", "the Windows Event Log"), or
// why it could not be written ("not written: …").
std::string write_platform_log(const PlatformLogEntry& entry);

}  // namespace es
