// Who else has the DB open, from the Restart Manager: the Windows API made
// for exactly this question.

#include <windows.h>
// windows.h first: the headers below rely on its types.
#include <restartmanager.h>

#include "common/db_location.hpp"
#include "common/win32_text.hpp"

namespace es {
namespace fs = std::filesystem;

namespace {

std::string executable_of(DWORD pid, const std::string& fallback) {
  WinHandle process(OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE, pid));
  if (!process.valid()) return fallback;
  std::wstring buffer(32768, L'\0');
  DWORD size = static_cast<DWORD>(buffer.size());
  if (!QueryFullProcessImageNameW(process.get(), 0, buffer.data(), &size)) return fallback;
  buffer.resize(size);
  return to_utf8(buffer);
}

}  // namespace

std::vector<OpenHolder> find_open_holders(const std::vector<fs::path>& files) {
  std::vector<OpenHolder> holders;
  const DWORD self = GetCurrentProcessId();
  for (const auto& file : files) {
    DWORD session = 0;
    wchar_t key[CCH_RM_SESSION_KEY + 1] = {};
    if (RmStartSession(&session, 0, key) != ERROR_SUCCESS) continue;
    const std::wstring name = file.wstring();
    LPCWSTR names[] = {name.c_str()};
    UINT needed = 0, count = 0;
    DWORD reasons = 0;
    std::vector<RM_PROCESS_INFO> info;
    if (RmRegisterResources(session, 1, names, 0, nullptr, 0, nullptr) == ERROR_SUCCESS) {
      DWORD rc = RmGetList(session, &needed, &count, nullptr, &reasons);
      if (rc == ERROR_MORE_DATA && needed > 0) {
        info.resize(needed);
        count = needed;
        rc = RmGetList(session, &needed, &count, info.data(), &reasons);
        if (rc != ERROR_SUCCESS) count = 0;
        info.resize(count);
      }
    }
    RmEndSession(session);
    for (const auto& process : info) {
      const DWORD pid = process.Process.dwProcessId;
      if (pid == self) continue;
      holders.push_back({static_cast<long>(pid), executable_of(pid, to_utf8(process.strAppName)),
                         file});
    }
  }
  return holders;
}

}  // namespace es
