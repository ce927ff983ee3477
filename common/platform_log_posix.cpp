#include <syslog.h>

#include "common/platform_log.hpp"

#ifdef ES_HAVE_SD_JOURNAL
#include <systemd/sd-journal.h>
#endif

namespace es {

namespace {

int syslog_priority(PlatformLogEntry::Level level) {
  switch (level) {
    case PlatformLogEntry::Level::kError: return LOG_ERR;
    case PlatformLogEntry::Level::kWarning: return LOG_WARNING;
    case PlatformLogEntry::Level::kInfo: break;
  }
  return LOG_INFO;
}

}  // namespace

std::string write_platform_log(const PlatformLogEntry& e) {
  const int priority = syslog_priority(e.level);
#ifdef ES_HAVE_SD_JOURNAL
  // Fails (ENOENT, ECONNREFUSED) where no journald listens: syslog then.
  if (sd_journal_send("MESSAGE=%s", e.message.c_str(), "PRIORITY=%i", priority,
                      "SYSLOG_IDENTIFIER=engine-supervisor", "RUN_ID=%s", e.run_id.c_str(),
                      "OUTCOME=%s", e.outcome.c_str(), "HALT_REASON=%s", e.halt_reason.c_str(),
                      "DB=%s", e.db.c_str(), nullptr) >= 0) {
    return "journald";
  }
#endif
  // The fields in the text, where syslog has no others.
  ::openlog("engine-supervisor", LOG_PID, LOG_USER);
  ::syslog(priority, "%s RUN_ID=%s OUTCOME=%s HALT_REASON=%s DB=%s", e.message.c_str(),
           e.run_id.c_str(), e.outcome.c_str(), e.halt_reason.c_str(), e.db.c_str());
  ::closelog();
  return "syslog";
}

}  // namespace es
