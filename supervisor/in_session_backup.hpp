#pragma once
// In-session backups (db_safeguards.in_session_backup_minutes): while the
// engine runs, a verified online copy of the DB every N minutes, named
// `<db>.live.<stamp>`, the newest 2 of that kind kept. They bound what a
// session can lose to N minutes, where the pre-session backup alone loses the
// whole session.
//
// The copy is SQLite's backup API in one read transaction (backup_store's
// take): in WAL mode a reader never blocks the writer, so the engine commits
// on. It runs on a thread of its own, started from the watch's timer
// (engine_watch.hpp), so the event loop stays free for the engine's output
// and for stop signals. A stop request abandons a copy at once: its
// temporary is removed and nothing is left under a backup name. A tick
// finds the DB unchanged since the last copy (the WAL index's mxFrame and
// salts, the main file's and the -wal's size and modification time) and
// takes none.
//
// tick() and stop() are called on the loop's thread; finish() after the
// engine is gone. Not otherwise thread-safe.

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/backup_store.hpp"

namespace es {

struct InSessionEnd {
  std::vector<TakenBackup> taken;  // each with what retention deleted
  std::vector<std::string> failures;  // each copy that failed, other than by stop()
};

class InSessionBackups {
 public:
  static constexpr int kKeep = 2;  // the newest of kind `live` that retention keeps

  InSessionBackups(std::filesystem::path db, std::filesystem::path backup_dir, double every_minutes);
  ~InSessionBackups();  // abandons a copy still running, and waits for it
  InSessionBackups(const InSessionBackups&) = delete;

  std::chrono::milliseconds every() const;

  // The DB as it is now is the baseline: a tick before the engine changed
  // it takes no copy (the pre-session backup holds that state).
  void set_baseline();

  // Starts a copy unless one is running, a stop was requested, or the DB
  // has not changed since the last copy (or the baseline).
  void tick();

  // Called on the copy's thread after each copy kept (the off-site copier
  // takes it from there).
  void on_taken(std::function<void()> handler);

  // Abandons a running copy and takes no more. Returns at once.
  void stop();

  // Waits for a copy still running (stop() first makes that short), then
  // returns what the copies did.
  InSessionEnd finish();

  // For the summary's db_health.in_session_backups.
  nlohmann::json to_json() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace es
