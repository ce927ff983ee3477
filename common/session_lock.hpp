#pragma once
// The exclusive lock that makes one supervisor the owner of one DB:
// `<db>.supervisor.lock`, held (flock / LockFileEx) for a whole run.
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
};

class SessionLock {
 public:
  static std::filesystem::path path_for(const std::filesystem::path& db_path);

  // Takes the lock without waiting. Held elsewhere: kLocked, naming the
  // holder's pid and start time. Returns the previous holder's record (the
  // file's content before this call) through previous().
  [[nodiscard]] static Result<SessionLock> acquire(const std::filesystem::path& db_path);

  // For what only looks (restore --dry-run): fails as acquire() does while
  // another supervisor holds the lock, but creates no lock file where there
  // is none, since nothing can hold a lock on a file that does not exist.
  [[nodiscard]] static Result<void> probe(const std::filesystem::path& db_path);

  SessionLock(SessionLock&& other) noexcept;
  SessionLock& operator=(SessionLock&&) = delete;
  SessionLock(const SessionLock&) = delete;
  ~SessionLock();

  const std::optional<LockHolder>& previous() const { return previous_; }

  // Rewrites the holder record (and thereby the heartbeat), durably.
  [[nodiscard]] Result<void> record(const LockHolder& holder);

 private:
  struct Handle;
  SessionLock(std::unique_ptr<Handle> handle, std::optional<LockHolder> previous);
  std::unique_ptr<Handle> handle_;
  std::optional<LockHolder> previous_;
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

}  // namespace es
