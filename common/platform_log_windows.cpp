#include <windows.h>

#include "common/platform_log.hpp"
#include "common/win32_text.hpp"

namespace es {

std::string write_platform_log(const PlatformLogEntry& e) {
  // The source the installer registers; unregistered, Windows still keeps
  // the entry, with a note that its description is missing.
  HANDLE source = RegisterEventSourceW(nullptr, L"engine-supervisor");
  if (!source) return "not written: RegisterEventSourceW failed: " + win32_error_text(GetLastError());
  const WORD type = e.level == PlatformLogEntry::Level::kError     ? EVENTLOG_ERROR_TYPE
                    : e.level == PlatformLogEntry::Level::kWarning ? EVENTLOG_WARNING_TYPE
                                                                   : EVENTLOG_INFORMATION_TYPE;
  const std::wstring text = to_wide(e.message + "\r\nRUN_ID=" + e.run_id + "\r\nOUTCOME=" +
                                    e.outcome + "\r\nHALT_REASON=" + e.halt_reason + "\r\nDB=" + e.db);
  LPCWSTR strings[] = {text.c_str()};
  const BOOL reported = ReportEventW(source, type, 0, 1, nullptr, 1, 0, strings, nullptr);
  const DWORD error = GetLastError();
  DeregisterEventSource(source);
  if (!reported) return "not written: ReportEventW failed: " + win32_error_text(error);
  return "the Windows Event Log";
}

}  // namespace es
