#include "common/session_lock.hpp"
#include "common/win32_text.hpp"

namespace es {
namespace fs = std::filesystem;

namespace {
// The lock covers one byte far past the content, so the holder record stays
// readable by the supervisor that is refused.
constexpr DWORD kLockOffsetHigh = 1;
}  // namespace

struct SessionLock::Handle {
  WinHandle file;
  fs::path path;
};

namespace {

std::string read_all(HANDLE file) {
  std::string text;
  char buffer[4096];
  OVERLAPPED at{};
  for (;;) {
    DWORD got = 0;
    if (!ReadFile(file, buffer, sizeof buffer, &got, &at) || got == 0) break;
    text.append(buffer, got);
    at.Offset += got;
  }
  return text;
}

}  // namespace

Result<SessionLock> SessionLock::lock_file(const fs::path& db_path) {
  auto handle = std::make_unique<Handle>();
  handle->path = path_for(db_path);
  if (auto missing = session_lock_detail::missing_db_folder(db_path)) return *missing;
  // Not inheritable (null security attributes): the engine must not keep the
  // lock after we die.
  handle->file = WinHandle(CreateFileW(handle->path.wstring().c_str(), GENERIC_READ | GENERIC_WRITE,
                                       FILE_SHARE_READ | FILE_SHARE_WRITE, nullptr, OPEN_ALWAYS,
                                       FILE_ATTRIBUTE_NORMAL, nullptr));
  if (!handle->file.valid()) {
    return Error{ExitCode::kIoError, "open of lock file " + handle->path.string() + " failed: " +
                                         win32_error_text(GetLastError())};
  }
  OVERLAPPED region{};
  region.OffsetHigh = kLockOffsetHigh;
  if (!LockFileEx(handle->file.get(), LOCKFILE_EXCLUSIVE_LOCK | LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0,
                  &region)) {
    const DWORD error = GetLastError();
    if (error != ERROR_LOCK_VIOLATION && error != ERROR_IO_PENDING) {
      return Error{ExitCode::kIoError,
                   "lock of " + handle->path.string() + " failed: " + win32_error_text(error)};
    }
    return session_lock_detail::held_elsewhere(db_path, handle->path, read_all(handle->file.get()));
  }
  auto previous = parse_lock_holder(read_all(handle->file.get()));
  return SessionLock(std::move(handle), std::move(previous));
}

SessionLock::SessionLock(std::unique_ptr<Handle> handle, std::optional<LockHolder> previous)
    : handle_(std::move(handle)), previous_(std::move(previous)) {}

SessionLock::SessionLock(SessionLock&& other) noexcept = default;
SessionLock::~SessionLock() = default;  // closing the handle releases the lock

Result<void> SessionLock::record(const LockHolder& holder) {
  const auto text = record_text(holder);
  HANDLE file = handle_->file.get();
  LARGE_INTEGER start{};
  DWORD written = 0;
  if (!SetFilePointerEx(file, start, nullptr, FILE_BEGIN) || !SetEndOfFile(file) ||
      !WriteFile(file, text.data(), static_cast<DWORD>(text.size()), &written, nullptr) ||
      !FlushFileBuffers(file)) {
    return Error{ExitCode::kIoError, "write of lock file " + handle_->path.string() + " failed: " +
                                         win32_error_text(GetLastError())};
  }
  return {};
}

}  // namespace es
