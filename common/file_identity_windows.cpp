#include "common/file_identity.hpp"
#include "common/win32_text.hpp"

namespace es {
namespace fs = std::filesystem;

namespace {

// FILETIME and LARGE_INTEGER times count 100 ns since 1601-01-01.
constexpr std::int64_t kUnixEpochIn100ns = 116444736000000000LL;

std::int64_t unix_nanoseconds(std::int64_t since_1601_in_100ns) {
  return (since_1601_in_100ns - kUnixEpochIn100ns) * 100;
}

std::int64_t to_int64(const FILETIME& time) {
  return static_cast<std::int64_t>((static_cast<std::uint64_t>(time.dwHighDateTime) << 32) |
                                   time.dwLowDateTime);
}

Error win_error(std::string_view operation, const fs::path& path, DWORD error) {
  return Error{ExitCode::kIoError,
               std::string(operation) + " " + path.string() + " failed: " + win32_error_text(error)};
}

}  // namespace

Result<std::optional<FileStamp>> stamp_file(const fs::path& file) {
  // Attributes only, and every share mode: an engine that has the DB open
  // is neither blocked nor disturbed by the look.
  WinHandle handle(CreateFileW(file.wstring().c_str(), FILE_READ_ATTRIBUTES,
                               FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr,
                               OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, nullptr));
  if (!handle.valid()) {
    const DWORD error = GetLastError();
    if (error == ERROR_FILE_NOT_FOUND || error == ERROR_PATH_NOT_FOUND) {
      return std::optional<FileStamp>{};
    }
    return win_error("open (attributes) of", file, error);
  }
  BY_HANDLE_FILE_INFORMATION info{};
  if (!GetFileInformationByHandle(handle.get(), &info)) {
    return win_error("GetFileInformationByHandle of", file, GetLastError());
  }
  // ChangeTime (data or metadata) is only in the basic info.
  FILE_BASIC_INFO basic{};
  if (!GetFileInformationByHandleEx(handle.get(), FileBasicInfo, &basic, sizeof basic)) {
    return win_error("GetFileInformationByHandleEx(FileBasicInfo) of", file, GetLastError());
  }
  FileStamp stamp;
  stamp.identity = {info.dwVolumeSerialNumber,
                    (static_cast<std::uint64_t>(info.nFileIndexHigh) << 32) | info.nFileIndexLow};
  stamp.size = (static_cast<std::uint64_t>(info.nFileSizeHigh) << 32) | info.nFileSizeLow;
  stamp.modified_ns = unix_nanoseconds(to_int64(info.ftLastWriteTime));
  stamp.changed_ns = unix_nanoseconds(basic.ChangeTime.QuadPart);
  return std::optional<FileStamp>{stamp};
}

}  // namespace es
