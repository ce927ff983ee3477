#pragma once
// The lock on the DB file itself, beside `<db>.supervisor.lock`, which goes
// by the DB's name. A hard link or a bind mount gives one file two names, and
// two lock files: this lock is what makes one supervisor the owner of the
// file, whatever name each config uses for it.
//  - Linux: an open file description lock (fcntl F_OFD_SETLK, F_WRLCK). It
//    belongs to our own open file description, not to the process: SQLite
//    closing its descriptors of the DB in this process (which drops every
//    classic POSIX lock the process has on the file; never use those here)
//    leaves it in place, and it conflicts with any other description's lock
//    on the same inode, through any name.
//  - Windows: LockFileEx (exclusive, fail at once) on a handle opened with
//    every share mode, so SQLite, the engine and a rename still work.
// One byte at offset 2^62: SQLite never locks there (its lock bytes on the
// DB start at 0x40000000 and span 512; WAL locks live in the -shm), and no
// read or write reaches it (no DB is 4 EiB long).
// The lock stays with the file: a rename (restore moving the DB aside)
// carries it along, and the file then under the DB's name needs its own
// (acquire it again). The descriptor or handle is never inherited: an engine
// must not keep the lock after we die.
// Move-only; one thread.

#include <filesystem>
#include <memory>
#include <optional>

#include "common/result.hpp"

namespace es {

namespace db_file_lock_detail {
// The refusal both implementations give; SessionLock names the holder.
inline Error held_elsewhere(const std::filesystem::path& db) {
  return Error{ExitCode::kLocked,
               "another engine-supervisor holds " + db.string() + " through another name"};
}
}  // namespace db_file_lock_detail

class DbFileLock {
 public:
  // Takes the lock on the regular file at `db`. nullopt when no regular file
  // is there (the engine may create the DB; the checks refuse anything that
  // is not a regular file). Held by another supervisor, through any name:
  // kLocked (SessionLock names the holder). A file this account may only read
  // gets a shared lock, which still stops a writer's. Any other failure:
  // kIoError naming the path and the OS error. Never creates or changes a file.
  [[nodiscard]] static Result<std::optional<DbFileLock>> acquire(const std::filesystem::path& db);

  DbFileLock(DbFileLock&& other) noexcept;
  DbFileLock& operator=(DbFileLock&& other) noexcept;
  DbFileLock(const DbFileLock&) = delete;
  ~DbFileLock();

 private:
  struct Handle;
  explicit DbFileLock(std::unique_ptr<Handle> handle);
  std::unique_ptr<Handle> handle_;
};

}  // namespace es
