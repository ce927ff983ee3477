#include <cerrno>
#include <cstring>

#include "common/fs_ops.hpp"
#include "common/win32_text.hpp"

namespace es {
namespace fs = std::filesystem;

namespace {

Error win_error(std::string_view operation, const fs::path& path, DWORD error = GetLastError()) {
  return Error{ExitCode::kIoError,
               std::string(operation) + " " + path.string() + " failed: " + win32_error_text(error)};
}

}  // namespace

std::string os_error_text(int error_number) {
  return std::string(std::strerror(error_number)) + " (errno " + std::to_string(error_number) + ")";
}

Result<void> sync_file(const fs::path& file) {
  WinHandle handle(CreateFileW(file.wstring().c_str(), GENERIC_WRITE,
                               FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr,
                               OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, nullptr));
  if (!handle.valid()) return win_error("open for flush of", file);
  if (!FlushFileBuffers(handle.get())) return win_error("flush of", file);
  return {};
}

Result<void> sync_folder(const fs::path&) {
  // NTFS journals the rename itself; Windows offers no folder flush.
  return {};
}

Result<void> create_private_file(const fs::path& file) {
  // CREATE_NEW fails on any existing name, a link included: never written
  // through, never truncated. The folder's ACL decides who may read it.
  WinHandle handle(CreateFileW(file.wstring().c_str(), GENERIC_WRITE, 0, nullptr, CREATE_NEW,
                               FILE_ATTRIBUTE_NORMAL, nullptr));
  if (!handle.valid()) return win_error("create", file);
  return {};
}

Result<void> create_private_folder(const fs::path& folder) {
  // The folder's ACL is inherited from its parent, as every file's is.
  std::error_code ec;
  fs::create_directories(folder, ec);
  if (ec) {
    return Error{ExitCode::kIoError, "create of folder " + folder.string() + " failed: " + ec.message()};
  }
  return {};
}

Result<bool> rename_if_free(const fs::path& from, const fs::path& to) {
  if (!MoveFileExW(from.wstring().c_str(), to.wstring().c_str(), MOVEFILE_WRITE_THROUGH)) {
    const DWORD error = GetLastError();
    if (error == ERROR_ALREADY_EXISTS || error == ERROR_FILE_EXISTS) return false;
    return Error{ExitCode::kIoError, "rename of " + from.string() + " to " + to.string() +
                                         " failed: " + win32_error_text(error)};
  }
  return true;
}

Result<bool> remove_file(const fs::path& file) {
  // DeleteFileW, unlike std::filesystem::remove, refuses a folder.
  if (DeleteFileW(file.wstring().c_str())) return true;
  const DWORD error = GetLastError();
  if (error == ERROR_FILE_NOT_FOUND || error == ERROR_PATH_NOT_FOUND) return false;
  return win_error("delete of", file, error);
}

Result<void> rename_replace(const fs::path& from, const fs::path& to) {
  const auto move = [&] {
    return MoveFileExW(from.wstring().c_str(), to.wstring().c_str(),
                       MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH);
  };
  if (move()) return {};
  DWORD error = GetLastError();
  // Windows refuses to replace a read-only file (a snapshot is made
  // read-only), where POSIX replaces it as any other: the same on both, the
  // attribute goes first, and comes back if the rename still fails.
  const DWORD attributes = GetFileAttributesW(to.wstring().c_str());
  if (error == ERROR_ACCESS_DENIED && attributes != INVALID_FILE_ATTRIBUTES &&
      (attributes & FILE_ATTRIBUTE_READONLY) &&
      SetFileAttributesW(to.wstring().c_str(), attributes & ~FILE_ATTRIBUTE_READONLY)) {
    if (move()) return {};
    error = GetLastError();
    SetFileAttributesW(to.wstring().c_str(), attributes);
  }
  return Error{ExitCode::kIoError, "rename of " + from.string() + " to " + to.string() +
                                       " failed: " + win32_error_text(error)};
}

Result<std::uintmax_t> available_space(const fs::path& folder) {
  ULARGE_INTEGER available{};
  if (!GetDiskFreeSpaceExW(folder.wstring().c_str(), &available, nullptr, nullptr)) {
    return win_error("free space query of", folder);
  }
  return static_cast<std::uintmax_t>(available.QuadPart);
}

Result<unsigned> permissions_of_others(const fs::path& file) {
  if (GetFileAttributesW(file.wstring().c_str()) == INVALID_FILE_ATTRIBUTES) {
    return win_error("attributes of", file);
  }
  return 0u;
}

Result<void> make_read_only(const fs::path& file) {
  const DWORD attributes = GetFileAttributesW(file.wstring().c_str());
  if (attributes == INVALID_FILE_ATTRIBUTES) return win_error("attributes of", file);
  if (!SetFileAttributesW(file.wstring().c_str(), attributes | FILE_ATTRIBUTE_READONLY)) {
    return win_error("making read-only", file);
  }
  return {};
}

Result<void> append_line_durably(const fs::path& file, std::string_view line) {
  WinHandle handle(CreateFileW(file.wstring().c_str(), GENERIC_READ | FILE_APPEND_DATA,
                               FILE_SHARE_READ, nullptr, OPEN_ALWAYS, FILE_ATTRIBUTE_NORMAL,
                               nullptr));
  if (!handle.valid()) return win_error("open for append of", file);
  LARGE_INTEGER size{};
  GetFileSizeEx(handle.get(), &size);
  std::string text;
  if (size.QuadPart > 0) {
    char last = '\n';
    DWORD got = 0;
    OVERLAPPED at{};
    at.Offset = static_cast<DWORD>((size.QuadPart - 1) & 0xffffffff);
    at.OffsetHigh = static_cast<DWORD>((size.QuadPart - 1) >> 32);
    if (ReadFile(handle.get(), &last, 1, &got, &at) && got == 1 && last != '\n') text += '\n';
  }
  text.append(line);
  text += '\n';
  DWORD written = 0;
  if (!WriteFile(handle.get(), text.data(), static_cast<DWORD>(text.size()), &written, nullptr) ||
      written != text.size()) {
    return win_error("append to", file);
  }
  if (!FlushFileBuffers(handle.get())) return win_error("flush of", file);
  return {};
}

}  // namespace es
