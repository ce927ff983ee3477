#include "supervisor/in_session_backup.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <mutex>
#include <optional>
#include <stop_token>
#include <thread>

#include "common/utf8_path.hpp"
#include "common/wal_evidence.hpp"

namespace es {
namespace fs = std::filesystem;

namespace {

// What changes when the engine commits: the WAL index's mxFrame moves (and
// its salts, when the WAL restarts), the -wal grows or is rewritten, and a
// checkpoint writes the main file. A filesystem whose mtimes are coarse
// (FAT's 2 s, some network shares) may show a -wal rewritten in place with
// the same size and time: the index still tells.
struct Fingerprint {
  std::uintmax_t db_size = 0, wal_size = 0;
  fs::file_time_type db_modified{}, wal_modified{};
  std::uint32_t max_frame = 0;
  std::array<std::uint8_t, 8> salt{};
  bool operator==(const Fingerprint&) const = default;
};

Fingerprint fingerprint_of(const fs::path& db) {
  Fingerprint print;
  std::error_code ec;
  print.db_size = fs::file_size(db, ec);
  print.db_modified = fs::last_write_time(db, ec);
  const auto wal = with_suffix(db, "-wal");
  print.wal_size = fs::file_size(wal, ec);
  if (ec) print.wal_size = 0;
  print.wal_modified = fs::last_write_time(wal, ec);
  if (const auto index = read_wal_index_header(db)) {
    print.max_frame = index->max_frame;
    std::copy(std::begin(index->salt), std::end(index->salt), print.salt.begin());
  }
  return print;
}

}  // namespace

struct InSessionBackups::State {
  fs::path db, backup_dir;
  double every_minutes = 0;
  std::jthread worker;
  std::atomic<bool> copying{false};
  bool stopped = false;
  std::optional<Fingerprint> last;  // the DB as the last copy (or the baseline) saw it

  mutable std::mutex mutex;  // guards what the worker writes below
  nlohmann::json taken = nlohmann::json::array();
  std::vector<std::string> failures;
  std::vector<TakenBackup> taken_backups;
  int abandoned = 0;
  int skipped_unchanged = 0;
  int skipped_busy = 0;
  std::function<void()> on_taken;  // set before the first tick

  void copy(std::stop_token stop) {
    const BackupStore store(db, backup_dir);
    const auto started = Clock::now();
    auto result = store.take(BackupKind::kLive, RetentionPolicy{kKeep, 0, 0}, started, {}, stop);
    std::lock_guard lock(mutex);
    if (result && !result->skipped) {
      spdlog::info("in-session backup {} written and verified in {:.2f} s",
                   result->file.path.string(), result->seconds);
      taken.push_back({{"file", result->file.path.filename().string()},
                       {"at", iso8601_utc(started)},
                       {"seconds", result->seconds}});
      taken_backups.push_back(std::move(*result));
      if (on_taken) on_taken();
    } else if (stop.stop_requested()) {
      ++abandoned;
      spdlog::info("in-session backup of {} abandoned: the engine is stopping", db.string());
    } else {
      const auto why = result ? *result->skipped : result.error().message;
      failures.push_back("in-session backup failed: " + why);
      spdlog::warn("in-session backup failed: {}", why);
      last.reset();  // try again at the next tick
    }
    copying = false;
  }
};

InSessionBackups::InSessionBackups(fs::path db, fs::path backup_dir, double every_minutes)
    : state_(std::make_unique<State>()) {
  state_->db = std::move(db);
  state_->backup_dir = std::move(backup_dir);
  state_->every_minutes = every_minutes;
}

InSessionBackups::~InSessionBackups() {
  stop();
  finish();
}

std::chrono::milliseconds InSessionBackups::every() const {
  return std::chrono::milliseconds(static_cast<long long>(state_->every_minutes * 60'000));
}

void InSessionBackups::set_baseline() { state_->last = fingerprint_of(state_->db); }

void InSessionBackups::tick() {
  auto& s = *state_;
  if (s.stopped) return;
  if (s.copying) {
    // The last copy outlasts the interval: it goes on, and this tick is
    // not queued behind it.
    std::lock_guard lock(s.mutex);
    ++s.skipped_busy;
    return;
  }
  const auto now = fingerprint_of(s.db);
  {
    std::lock_guard lock(s.mutex);
    if (s.last && *s.last == now) {
      ++s.skipped_unchanged;
      return;
    }
    s.last = now;
  }
  if (s.worker.joinable()) s.worker.join();  // finished: `copying` is false
  s.copying = true;
  s.worker = std::jthread([state = state_.get()](std::stop_token stop) { state->copy(stop); });
}

void InSessionBackups::on_taken(std::function<void()> handler) { state_->on_taken = std::move(handler); }

void InSessionBackups::stop() {
  state_->stopped = true;
  if (state_->worker.joinable()) state_->worker.request_stop();
}

InSessionEnd InSessionBackups::finish() {
  if (state_->worker.joinable()) state_->worker.join();
  std::lock_guard lock(state_->mutex);
  return {state_->taken_backups, state_->failures};
}

nlohmann::json InSessionBackups::to_json() const {
  std::lock_guard lock(state_->mutex);
  return {{"every_minutes", state_->every_minutes},
          {"taken", state_->taken},
          {"failed", state_->failures},
          {"abandoned", state_->abandoned},
          {"skipped_unchanged", state_->skipped_unchanged},
          {"skipped_busy", state_->skipped_busy}};
}

}  // namespace es
