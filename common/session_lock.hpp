#pragma once
// The exclusive lock that makes one supervisor the owner of one DB:
// `<db>.supervisor.lock`, held (flock / LockFileEx) for a whole run, and with
// it the lock on the DB file itself (db_file_lock.hpp), which a second name
// for the file (a hard link, a bind mount) cannot get around. Give it the
// DB's real path (real_path.hpp), so that a symlink and its target share
// one lock file.
//
// The file's content names the holder (pid, run id, start time) so a second
// supervisor can say who is in the way, and carries the holder's heartbeat:
// the last moment it was known alive, rewritten at most once a minute. The
// OS drops the lock when the holder dies, however it dies; the content stays
// for the next holder to read. The file is never deleted (deleting a lock
// file races with its next taker).
// Move-only; one thread.

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "common/engine_tree.hpp"
#include "common/db_file_lock.hpp"
#include "common/result.hpp"

namespace es {

struct LockHolder {
  long pid = 0;
  std::string run_id;
  std::string started_at;
  std::string heartbeat_at;
  // The engine's tree as last seen (engine_tree.hpp): what the next start
  // looks for if this supervisor dies. Empty before the engine starts.
  EngineTreeRecord engine_tree = {};
  std::string db_path = {};  // the DB as this holder names it (record() fills it in)
};

class SessionLock {
 public:
  static std::filesystem::path path_for(const std::filesystem::path& db_path);

  // Takes both locks without waiting: the lock file's, then the DB file's
  // (when the DB exists). Held elsewhere: kLocked, naming the holder's pid
  // and start time; the DB file held through another name: kLocked, naming
  // the supervisor that holds it where the OS tells who (Linux: from /proc,
  // and its lock file's record read through the name it uses). Returns the
  // previous holder's record (the file's content before this call) through
  // previous().
  [[nodiscard]] static Result<SessionLock> acquire(const std::filesystem::path& db_path);

  // For what only looks (restore --dry-run): fails as acquire() does while
  // another supervisor holds either lock, but creates no lock file where
  // there is none, since nothing can hold a lock on a file that does not
  // exist. Takes the locks only for that moment.
  [[nodiscard]] static Result<void> probe(const std::filesystem::path& db_path);

  SessionLock(SessionLock&& other) noexcept;
  SessionLock& operator=(SessionLock&&) = delete;
  SessionLock(const SessionLock&) = delete;
  ~SessionLock();

  const std::optional<LockHolder>& previous() const { return previous_; }

  // Rewrites the holder record (and thereby the heartbeat), durably.
  [[nodiscard]] Result<void> record(const LockHolder& holder);

  // Locks the file now under the DB's name, after a restore moved another
  // file in (the lock held so far went aside with the old file), and lets go
  // of the old file's. Fails as acquire() does; the DB file is then unlocked.
  [[nodiscard]] Result<void> lock_db_file();

 private:
  struct Handle;
  SessionLock(std::unique_ptr<Handle> handle, std::optional<LockHolder> previous);
  // The lock file's part of acquire(): one implementation per OS.
  [[nodiscard]] static Result<SessionLock> lock_file(const std::filesystem::path& db_path);
  // The holder record as the lock file holds it, naming this lock's DB.
  std::string record_text(const LockHolder& holder) const;

  std::unique_ptr<Handle> handle_;
  std::optional<LockHolder> previous_;
  std::filesystem::path db_path_;
  std::optional<DbFileLock> file_lock_;
};

// The pieces of acquire() that do not depend on the OS, used by both
// session_lock_posix.cpp and session_lock_windows.cpp.
namespace session_lock_detail {
// kDbMissing if the DB's folder does not exist (a lock file cannot be made).
std::optional<Error> missing_db_folder(const std::filesystem::path& db_path);
// kLocked, naming the holder recorded in `lock_content` (pid, run, start).
Error held_elsewhere(const std::filesystem::path& db_path,
                     const std::filesystem::path& lock_path, const std::string& lock_content);
}  // namespace session_lock_detail

// JSON text of a holder record and back; unreadable text is nullopt.
std::string format_lock_holder(const LockHolder& holder);
std::optional<LockHolder> parse_lock_holder(const std::string& text);

// The record in `lock_file`, read as a plain file: no lock is taken, so it
// never waits for nor disturbs the supervisor that holds it. nullopt when
// the file is missing or holds no record.
std::optional<LockHolder> read_lock_record(const std::filesystem::path& lock_file);

}  // namespace es
