#include <io.h>
#include <windows.h>
// windows.h first: the headers below rely on its types.
#include <shellapi.h>

#include "common/os_info.hpp"
#include "common/utf8_path.hpp"
#include "common/win32_text.hpp"

#include <string_view>

namespace es {

long current_process_id() { return static_cast<long>(GetCurrentProcessId()); }

void release_free_memory() {
  // The CRT's heap is the process heap: compacting it decommits free blocks.
  ::HeapCompact(::GetProcessHeap(), 0);
}

bool process_exists(long pid) {
  WinHandle process(OpenProcess(SYNCHRONIZE, FALSE, static_cast<DWORD>(pid)));
  // Another user's process (a service's supervisor, say) exists even though
  // this one may not open it; a pid no process has is an invalid parameter.
  if (!process.valid()) return GetLastError() == ERROR_ACCESS_DENIED;
  return WaitForSingleObject(process.get(), 0) == WAIT_TIMEOUT;
}

std::filesystem::path find_on_path(const std::string& name) {
  const wchar_t* path = _wgetenv(L"PATH");
  std::wstring_view folders = path ? path : L"";
  const auto file = utf8_path(name + ".exe");
  while (!folders.empty()) {
    const auto semicolon = folders.find(L';');
    const auto folder = folders.substr(0, semicolon);
    if (!folder.empty()) {
      const auto candidate = std::filesystem::path(std::wstring(folder)) / file;
      std::error_code ec;
      if (std::filesystem::is_regular_file(candidate, ec)) return candidate;
    }
    if (semicolon == std::wstring_view::npos) break;
    folders.remove_prefix(semicolon + 1);
  }
  return {};
}

std::filesystem::path executable_path() {
  std::wstring buffer(32768, L'\0');
  const DWORD length = GetModuleFileNameW(nullptr, buffer.data(), static_cast<DWORD>(buffer.size()));
  buffer.resize(length);
  return std::filesystem::path(buffer);
}

ShellStyle operator_shell_style() { return ShellStyle::kPowerShell; }

bool stream_is_terminal(int fd) { return _isatty(fd) != 0; }

std::vector<std::string> utf8_arguments(int, char**) {
  SetConsoleOutputCP(CP_UTF8);
  int count = 0;
  wchar_t** wide = CommandLineToArgvW(GetCommandLineW(), &count);
  std::vector<std::string> arguments;
  for (int i = 0; i < count; ++i) arguments.push_back(to_utf8(wide[i]));
  LocalFree(wide);
  return arguments;
}

bool console_is_own() {
  // Alone on the console: a shortcut opened the window for us, and it closes
  // when we exit. (The engine has exited by the time this is asked.)
  DWORD processes[4];
  return GetConsoleProcessList(processes, 4) == 1;
}

}  // namespace es
