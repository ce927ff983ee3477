#include "common/filesystem_probe.hpp"
#include "common/win32_text.hpp"

namespace es {

FilesystemInfo probe_filesystem(const std::filesystem::path& folder) {
  const std::wstring path = std::filesystem::absolute(folder).wstring();
  // \\server\share\... is remote by its very name.
  if (path.rfind(L"\\\\", 0) == 0 && path.rfind(L"\\\\?\\", 0) != 0) return {"unc", true};
  wchar_t root[MAX_PATH + 1] = {};
  if (!GetVolumePathNameW(path.c_str(), root, MAX_PATH)) return {"unknown (no volume)", false};
  const bool remote = GetDriveTypeW(root) == DRIVE_REMOTE;
  wchar_t name[MAX_PATH + 1] = {};
  std::string type = remote ? "network drive" : "unknown";
  if (GetVolumeInformationW(root, nullptr, 0, nullptr, nullptr, nullptr, name, MAX_PATH)) {
    type = to_utf8(name) + (remote ? " (network drive)" : "");
  }
  return {type, remote};
}

}  // namespace es
