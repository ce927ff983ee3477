#include "supervisor/offsite.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>

#include "common/backup_store.hpp"
#include "common/fs_ops.hpp"
#include "common/os_info.hpp"
#include "common/time_stamp.hpp"
#include "common/utf8_path.hpp"
#include "supervisor/offsite_ledger.hpp"

namespace es {
namespace fs = std::filesystem;

namespace {

constexpr auto kListTimeout = std::chrono::seconds(300);
constexpr auto kCopyTimeout = std::chrono::hours(6);
constexpr std::size_t kKeptErrorBytes = 300;

std::string install_hint() {
  if (operator_shell_style() == ShellStyle::kPowerShell) {
    return "put restic.exe (https://restic.net) beside engine-supervisor.exe, or set "
           "offsite.restic to its path";
  }
  return "install it (Debian, Ubuntu: apt install restic), or set offsite.restic to its path";
}

}  // namespace

std::string redacted(const std::string& repository) {
  const auto scheme = repository.find("://");
  if (scheme == std::string::npos) return repository;
  const auto at = repository.find('@', scheme + 3);
  const auto slash = repository.find('/', scheme + 3);
  if (at == std::string::npos || (slash != std::string::npos && slash < at)) return repository;
  return repository.substr(0, scheme + 3) + "***" + repository.substr(at);
}

std::vector<std::string> snapshot_files(const nlohmann::json& snapshot) {
  std::vector<std::string> files;
  if (!snapshot.is_object()) return files;
  for (const auto& path : snapshot.value("paths", nlohmann::json::array())) {
    if (path.is_string()) files.push_back(utf8_path(path.get<std::string>()).filename().string());
  }
  return files;
}

std::string offsite_db_tag(const fs::path& db) {
  auto name = db.filename().string();
  std::replace(name.begin(), name.end(), ',', '_');
  return "db=" + name;
}

Restic::Restic(OffsiteConfig config, std::string name)
    : config_(std::move(config)), name_(std::move(name)) {
  if (auto program = find_program(config_)) program_ = *program;
}

Result<fs::path> Restic::find_program(const OffsiteConfig& config) {
  if (!config.restic.empty()) {
    if (config.restic.has_parent_path()) {
      std::error_code ec;
      if (fs::is_regular_file(config.restic, ec)) return config.restic;
      return Error{ExitCode::kConfigInvalid, "offsite.restic " + config.restic.string() +
                                                 " does not exist: " + install_hint()};
    }
    if (auto found = find_on_path(config.restic.string()); !found.empty()) return found;
    return Error{ExitCode::kConfigInvalid,
                 "offsite.restic '" + config.restic.string() + "' is not on PATH: " + install_hint()};
  }
  // Beside engine-supervisor.exe, where the Windows installer puts it.
  if (const auto self = executable_path(); !self.empty() && self.extension() == ".exe") {
    std::error_code ec;
    if (const auto beside = self.parent_path() / "restic.exe"; fs::is_regular_file(beside, ec)) return beside;
  }
  if (auto found = find_on_path("restic"); !found.empty()) return found;
  return Error{ExitCode::kConfigInvalid, "restic was not found, so no off-site copy was made: " +
                                             install_hint()};
}

Result<void> Restic::check_password_file(const OffsiteConfig& config) {
  const auto& file = config.password_file;
  std::error_code ec;
  if (!fs::is_regular_file(file, ec)) {
    return Error{ExitCode::kConfigInvalid,
                 "offsite.password_file " + file.string() +
                     " is not a file: write the repository's password in it (one line), then "
                     "chmod 600 it"};
  }
  auto others = permissions_of_others(file);
  if (!others) return others.error();
  if (*others != 0) {
    return Error{ExitCode::kConfigInvalid,
                 fmt::format("offsite.password_file {} can be read or changed by others (mode "
                             "bits {:03o} beyond the owner's): no off-site copy is made with it; "
                             "chmod 600 {}",
                             file.string(), *others, file.string())};
  }
  return {};
}

ChildResult Restic::run(const std::vector<std::string>& args,
                        const std::function<void(std::string_view)>& on_line,
                        std::chrono::seconds timeout, std::stop_token stop) const {
  ChildCommand command;
  command.argv = {program_.empty() ? std::string("restic") : program_.string()};
  command.argv.insert(command.argv.end(), args.begin(), args.end());
  // Never in the arguments, which every user's `ps` shows.
  command.extra_env = {{"RESTIC_REPOSITORY", config_.restic_repository},
                       {"RESTIC_PASSWORD_FILE", config_.password_file.string()}};
  command.name = name_ + "-restic";
  command.timeout = timeout;
  command.on_line = on_line;
  return run_child(command, stop);
}

Result<std::string> Restic::run_for_output(const std::vector<std::string>& args,
                                           std::chrono::seconds timeout, std::stop_token stop,
                                           const std::string& what) const {
  std::string out, last_error;
  const auto ran = run(
      args,
      [&](std::string_view line) {
        if (line.starts_with("[") || line.starts_with("{") || !out.empty()) {
          out += line;
        } else if (!line.empty()) {
          last_error = std::string(line.substr(0, kKeptErrorBytes));
        }
      },
      timeout, stop);
  if (!ran.ok()) {
    return Error{ExitCode::kIoError, "restic " + what + " in " + redacted(config_.restic_repository) +
                                         " failed: " + ran.cause() +
                                         (last_error.empty() ? "" : ": " + last_error)};
  }
  return out;
}

Result<nlohmann::json> Restic::snapshots(const std::string& db_name, std::stop_token stop) const {
  auto out = run_for_output({"snapshots", "--json", "--no-lock", "--tag", db_name}, kListTimeout,
                            stop, "snapshots (listing " + db_name + ")");
  if (!out) return out.error();
  auto list = nlohmann::json::parse(*out, nullptr, false);
  if (!list.is_array()) list = nlohmann::json::array();
  return Result<nlohmann::json>(boost::system::in_place_value, std::move(list));
}

Result<void> Restic::restore(const std::string& id, const fs::path& target,
                             std::stop_token stop) const {
  auto out = run_for_output({"restore", id, "--target", target.string()}, kCopyTimeout, stop,
                            "restore of snapshot " + id);
  if (!out) return out.error();
  return {};
}

Result<nlohmann::json> Restic::forget(const std::string& db_tag, int keep_last, int keep_daily,
                                      std::stop_token stop) const {
  // One group: restic's default groups by path, and every backup file has
  // a path of its own, so each group would keep its one snapshot.
  std::vector<std::string> args{"forget", "--json", "--tag", db_tag, "--group-by="};
  if (keep_last > 0) args.insert(args.end(), {"--keep-last", std::to_string(keep_last)});
  if (keep_daily > 0) args.insert(args.end(), {"--keep-daily", std::to_string(keep_daily)});
  auto out = run_for_output(args, kCopyTimeout, stop, "forget (offsite.keep_last, keep_daily)");
  if (!out) return out.error();
  nlohmann::json removed = nlohmann::json::array();
  const auto groups = nlohmann::json::parse(*out, nullptr, false);
  if (groups.is_array()) {
    for (const auto& group : groups) {
      if (!group.is_object() || !group.contains("remove") || !group["remove"].is_array()) continue;
      for (const auto& snapshot : group["remove"]) removed.push_back(snapshot);
    }
  }
  return Result<nlohmann::json>(boost::system::in_place_value, std::move(removed));
}

Result<void> Restic::prune(std::stop_token stop) const {
  auto out = run_for_output({"prune"}, kCopyTimeout, stop, "prune");
  if (!out) return out.error();
  return {};
}

Result<void> Restic::unlock_stale(std::stop_token stop) const {
  auto out = run_for_output({"unlock"}, kListTimeout, stop, "unlock (of stale locks)");
  if (!out) return out.error();
  return {};
}

struct OffsiteCopier::State {
  OffsiteConfig config;
  fs::path db, backup_dir;
  std::string run_id;
  Restic restic;
  std::optional<std::string> unusable;  // no restic, or a bad password file: why
  OffsiteLedger ledger;  // the worker's alone once it runs
  bool unlocked = false;  // the worker's: stale locks removed at its first sync

  std::mutex mutex;
  std::condition_variable changed;
  bool wanted = false;   // a sync was asked for and has not started
  bool syncing = false;
  nlohmann::json copied = nlohmann::json::array();
  nlohmann::json keep_policy;  // null until forget and prune ran in this run
  std::vector<std::string> failures;
  std::jthread worker;

  State(const OffsiteConfig& offsite, fs::path db_path, fs::path backups, std::string id)
      : config(offsite), db(std::move(db_path)), backup_dir(std::move(backups)), run_id(std::move(id)),
        restic(offsite, run_id), ledger(OffsiteLedger::read(db)) {}

  void fail(const std::string& why) {
    std::lock_guard lock(mutex);
    failures.push_back(why);
  }

  // The local backups of the configured kinds that no snapshot of this DB
  // holds, oldest first.
  std::vector<BackupFile> missing(const nlohmann::json& snapshots) const {
    std::set<std::string> held;
    for (const auto& snapshot : snapshots) {
      for (auto& file : snapshot_files(snapshot)) held.insert(std::move(file));
    }
    std::vector<BackupFile> wanted_files;
    for (const auto& backup : BackupStore(db, backup_dir).list()) {
      const auto kind = std::string(to_string(backup.name.kind));
      if (std::find(config.kinds.begin(), config.kinds.end(), kind) == config.kinds.end()) continue;
      const auto name = backup.path.filename().string();
      if (!held.contains(name) && !ledger.forgotten.contains(name)) wanted_files.push_back(backup);
    }
    // Oldest first; in one second, in the order a run takes them, so that
    // keep_last keeps the post-session backup over its pre-session one.
    const auto rank = [](BackupKind kind) {
      switch (kind) {
        case BackupKind::kPreSession: return 0;
        case BackupKind::kLive: return 1;
        case BackupKind::kPostSession: return 2;
        case BackupKind::kManual: return 3;
      }
      return 3;
    };
    std::stable_sort(wanted_files.begin(), wanted_files.end(), [&](const auto& a, const auto& b) {
      return std::tuple(a.name.stamp, rank(a.name.kind), a.name.sequence) <
             std::tuple(b.name.stamp, rank(b.name.kind), b.name.sequence);
    });
    return wanted_files;
  }

  // Whether the copy was made.
  bool copy_one(const BackupFile& backup, std::stop_token token) {
    std::string snapshot_id, last_error;
    const auto kind = std::string(to_string(backup.name.kind));
    const auto ran = restic.run(
        {"backup", "--json", "--tag", "engine-supervisor", "--tag", offsite_db_tag(db), "--tag",
         "kind=" + kind, "--tag", "run=" + run_id, backup.path.string()},
        [&](std::string_view line) {
          const auto message = nlohmann::json::parse(line, nullptr, false);
          if (message.is_object()) {
            if (message.value("message_type", "") == "summary") {
              snapshot_id = message.value("snapshot_id", "");
            }
          } else if (!line.empty()) {
            last_error = std::string(line.substr(0, kKeptErrorBytes));
          }
        },
        kCopyTimeout, token);
    if (ran.stopped) return false;  // the next run copies it
    if (!ran.ok()) {
      fail("off-site copy of " + backup.path.string() + " to " + redacted(config.restic_repository) +
           " failed: " + ran.cause() + (last_error.empty() ? "" : ": " + last_error));
      return false;
    }
    spdlog::info("off-site copy of {} made: restic snapshot {} in {:.1f} s", backup.path.string(),
                 snapshot_id.substr(0, 8), ran.seconds);
    std::lock_guard lock(mutex);
    copied.push_back({{"file", backup.path.filename().string()},
                      {"kind", kind},
                      {"snapshot", snapshot_id},
                      {"seconds", ran.seconds}});
    return true;
  }

  // offsite.keep_last and keep_daily, after a sync that copied everything
  // it tried, at most once a day: forget, then prune.
  void apply_keep_policy(std::stop_token token) {
    if (config.keep_last <= 0 && config.keep_daily <= 0) return;
    if (!ledger.prune_due(Clock::now())) return;
    const auto removed = restic.forget(offsite_db_tag(db), config.keep_last, config.keep_daily, token);
    if (!removed) {
      if (!token.stop_requested()) fail(removed.error().message);
      return;
    }
    for (const auto& snapshot : *removed) {
      for (auto& file : snapshot_files(snapshot)) ledger.forgotten.insert(std::move(file));
    }
    const auto pruned = restic.prune(token);
    if (pruned) ledger.pruned_at = Clock::now();
    if (!pruned && !token.stop_requested()) fail(pruned.error().message);
    if (auto written = ledger.write(db, backup_dir); !written) fail(written.error().message);
    spdlog::info("off-site keep policy (keep_last {}, keep_daily {}) applied to {}: {} snapshot(s) "
                 "forgotten{}",
                 config.keep_last, config.keep_daily, redacted(config.restic_repository),
                 removed->size(), pruned ? ", their space pruned" : "; prune did not finish");
    std::lock_guard lock(mutex);
    keep_policy = {{"forgotten", removed->size()}, {"pruned", pruned.has_value()}};
  }

  void sync_once(std::stop_token token) {
    // A failure here shows again, with its cause, in the listing just below.
    if (!unlocked) unlocked = restic.unlock_stale(token).has_value();
    auto snapshots = restic.snapshots(offsite_db_tag(db), token);
    if (!snapshots) {
      if (!token.stop_requested()) fail(snapshots.error().message);
      return;
    }
    bool all_copied = true, any_copied = false;
    for (const auto& backup : missing(*snapshots)) {
      if (token.stop_requested()) return;
      const bool made = copy_one(backup, token);
      all_copied = all_copied && made;
      any_copied = any_copied || made;
    }
    if (any_copied && all_copied && !token.stop_requested()) apply_keep_policy(token);
  }

  void work(std::stop_token token) {
    std::unique_lock lock(mutex);
    while (true) {
      changed.wait(lock, [&] { return wanted || token.stop_requested(); });
      if (token.stop_requested()) return;
      wanted = false;
      syncing = true;
      lock.unlock();
      sync_once(token);
      lock.lock();
      syncing = false;
      changed.notify_all();
    }
  }
};

OffsiteCopier::OffsiteCopier(const OffsiteConfig& config, fs::path db, fs::path backup_dir,
                             std::string run_id)
    : state_(std::make_unique<State>(config, std::move(db), std::move(backup_dir), std::move(run_id))) {
  auto& s = *state_;
  if (auto program = Restic::find_program(config); !program) {
    s.unusable = program.error().message;
  } else if (auto password = Restic::check_password_file(config); !password) {
    s.unusable = password.error().message;
  }
  if (s.unusable) {
    s.failures.push_back(*s.unusable);
    return;
  }
  s.worker = std::jthread([state = state_.get()](std::stop_token token) { state->work(token); });
}

OffsiteCopier::~OffsiteCopier() {
  if (state_->worker.joinable()) {
    state_->worker.request_stop();
    state_->changed.notify_all();
  }
}

void OffsiteCopier::sync() {
  auto& s = *state_;
  if (s.unusable) return;
  std::lock_guard lock(s.mutex);
  s.wanted = true;
  s.changed.notify_all();
}

nlohmann::json OffsiteCopier::finish() {
  auto& s = *state_;
  bool left = false;
  if (s.worker.joinable()) {
    std::unique_lock lock(s.mutex);
    const auto done = [&] { return !s.wanted && !s.syncing; };
    if (!s.changed.wait_for(lock, std::chrono::seconds(s.config.wait_seconds), done)) {
      left = true;
      s.failures.push_back(fmt::format(
          "an off-site copy was still running after offsite.wait_seconds ({} s); it was stopped, "
          "and the next run copies what it did not",
          s.config.wait_seconds));
    }
    lock.unlock();
    s.worker.request_stop();
    s.changed.notify_all();
    s.worker.join();
  }
  std::lock_guard lock(s.mutex);
  return {{"repository", redacted(s.config.restic_repository)},
          {"copied", s.copied},
          {"failed", s.failures},
          {"left_to_next_run", left},
          {"keep_policy", s.keep_policy}};
}

const std::vector<std::string>& OffsiteCopier::failures() const { return state_->failures; }

}  // namespace es
