#include "common/db_file_lock.hpp"
#include "common/win32_text.hpp"

namespace es {
namespace fs = std::filesystem;

namespace {
// Offset 2^62, as the high DWORD of a 64-bit offset.
constexpr DWORD kLockOffsetHigh = 1u << 30;
}  // namespace

struct DbFileLock::Handle {
  // Closing the handle releases the lock.
  WinHandle file;
};

Result<std::optional<DbFileLock>> DbFileLock::acquire(const fs::path& db) {
  const DWORD attributes = GetFileAttributesW(db.wstring().c_str());
  if (attributes == INVALID_FILE_ATTRIBUTES || (attributes & FILE_ATTRIBUTE_DIRECTORY) != 0) {
    return std::optional<DbFileLock>{};
  }
  auto handle = std::make_unique<Handle>();
  // Read access is all LockFileEx needs. Every share mode: SQLite and the
  // engine open the file as they always do, and restore can rename it.
  // Not inheritable (null security attributes).
  handle->file = WinHandle(CreateFileW(db.wstring().c_str(), GENERIC_READ,
                                       FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                                       nullptr, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, nullptr));
  if (!handle->file.valid()) {
    const DWORD error = GetLastError();
    if (error == ERROR_FILE_NOT_FOUND || error == ERROR_PATH_NOT_FOUND) {
      return std::optional<DbFileLock>{};
    }
    return Error{ExitCode::kIoError, "open (to lock the file itself) of " + db.string() +
                                         " failed: " + win32_error_text(error)};
  }
  if (GetFileType(handle->file.get()) != FILE_TYPE_DISK) return std::optional<DbFileLock>{};
  OVERLAPPED region{};
  region.OffsetHigh = kLockOffsetHigh;
  if (!LockFileEx(handle->file.get(), LOCKFILE_EXCLUSIVE_LOCK | LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0,
                  &region)) {
    const DWORD error = GetLastError();
    if (error == ERROR_LOCK_VIOLATION || error == ERROR_IO_PENDING) {
      return db_file_lock_detail::held_elsewhere(db);
    }
    return Error{ExitCode::kIoError,
                 "lock (LockFileEx) of " + db.string() + " failed: " + win32_error_text(error)};
  }
  return std::optional<DbFileLock>{DbFileLock(std::move(handle))};
}

DbFileLock::DbFileLock(std::unique_ptr<Handle> handle) : handle_(std::move(handle)) {}
DbFileLock::DbFileLock(DbFileLock&& other) noexcept = default;
DbFileLock& DbFileLock::operator=(DbFileLock&& other) noexcept = default;
DbFileLock::~DbFileLock() = default;

}  // namespace es
