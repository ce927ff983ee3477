#include "supervisor/lifecycle.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "common/console.hpp"
#include "common/content_digest.hpp"
#include "common/db_at_rest.hpp"
#include "common/db_checks.hpp"
#include "common/db_continuity.hpp"
#include "common/engine_errors.hpp"
#include "common/evidence_aside.hpp"
#include "common/filesystem_probe.hpp"
#include "common/hot_journal.hpp"
#include "common/platform_log.hpp"
#include "common/session_files.hpp"
#include "common/logging.hpp"
#include "common/metrics_textfile.hpp"
#include "common/progress.hpp"
#include "common/os_info.hpp"
#include "common/run_history.hpp"
#include "common/session_lock.hpp"
#include "common/session_summary.hpp"
#include "common/startup_check.hpp"
#include "common/time_stamp.hpp"
#include "common/wal_evidence.hpp"
#include "common/wal_fold.hpp"
#include "supervisor/classify_exit.hpp"
#include "supervisor/commands/config_source.hpp"
#include "supervisor/engine_watch.hpp"
#include "supervisor/event_loop.hpp"
#include "supervisor/in_session_backup.hpp"
#include "supervisor/notifier.hpp"
#include "supervisor/offsite.hpp"
#include "supervisor/restore_resume.hpp"
#include "supervisor/run_recovery.hpp"

namespace es {
namespace fs = std::filesystem;

namespace {

class Session {
 public:
  explicit Session(const SessionRequest& request)
      : request_(request),
        config_(request.config),
        history_(RunHistory::path_for(config_.database.path)),
        engine_errors_(config_.engine.error_patterns) {}

  ExitCode run() {
    auto lock = take_lock();
    if (!lock) return refuse(lock.error());
    lock_.emplace(std::move(*lock));
    watch_ = route_stop_signals();
    start_logging();
    if (auto leftovers = find_run_leftovers(*lock_, history_, config_.database.path)) {
      return refuse(*leftovers);
    }
    recover_lost_runs(*lock_, history_, config_);
    begin_run();
    if (auto refused = finish_cut_off_restore()) return abort_run(*refused, "restore_unfinished");
    if (auto refused = check_location()) return abort_run(*refused, "network_filesystem");
    if (auto refused = check_sole_writer()) return abort_run(*refused, "db_open_elsewhere");
    if (auto lost = examine_wal()) return abort_run(*lost, "wal_lost");
    const auto continuity = compare_with_last_run();
    if (continuity.stopped) return abort_run(stopped_early(), "stop_requested");
    if (continuity.refusal) return abort_run(*continuity.refusal, "changed_between_sessions");
    if (auto refused = roll_back_hot_journal()) return abort_run(refused->error, refused->halt_reason);
    const auto startup = gate_and_pre_backup();
    if (startup.stopped) return abort_run(stopped_early(), "stop_requested");
    if (!startup.gate.passed()) return abort_run(*startup.gate.failure, "integrity_failed");
    if (auto refused = check_invariants_at_startup(startup)) return abort_run(refused->error, refused->halt_reason);
    if (auto refused = check_sole_writer()) return abort_run(*refused, "db_open_elsewhere");  // again
    if (watch_->stop_requested_before_start()) return abort_run(stopped_early(), "stop_requested");
    mark_running();
    if (auto spawned = spawn_engine(); !spawned) return abort_run(spawned.error(), "spawn_failed");
    const auto ended = watch_engine(*watch_);
    const auto verdict = classify(ended);
    if (ended.state.cause == watch::StopCause::kConsoleClosed) write_summary_before_exit(verdict);
    const auto folded = post_session(verdict);
    report_at_rest(folded);
    record_at_rest();
    return finish(verdict);
  }

 private:
  // 1. Lock: one supervisor per DB, for the whole run.
  Result<SessionLock> take_lock() { return SessionLock::acquire(config_.database.path); }

  ExitCode refuse(const Error& error) {
    // Another run owns this DB, or what an earlier run's engine left still
    // runs: write nothing, touch nothing of it. (The lock file keeps the
    // lost run's record of its tree, for the next start to look again.)
    report_failure(error);
    summary_.outcome = "refused";
    summary_.halt_reason = error.message;
    notify_operator("");
    log_to_platform();
    return error.exit_code;
  }

 public:
  SessionEnd end(ExitCode code) const {
    return {code, summary_.outcome, summary_.halt_reason, summary_.log_file};
  }

 private:

  void start_logging() {
    if (auto logging = start_file_logging(config_.logging_dir, config_.logging_level); !logging) {
      spdlog::warn("{} — logging to the console only", logging.error().message);
    }
  }

  void begin_run() {
    started_ = std::chrono::steady_clock::now();
    const auto now = Clock::now();
    run_id_ = compact_stamp(now) + "-" + std::to_string(current_process_id());
    summary_.run_id = run_id_;
    summary_.started_at = iso8601_utc(now);
    summary_.engine.command = config_.engine.command;
    summary_.config_file = config_.source_file.string();
    summary_.supervisor_version = request_.version;
    auto& health = summary_.db_health;
    health.db_path = config_.database.path_as_configured;
    health.backup_dir = config_.database.backup_dir.string();
    health.integrity_check_mode = std::string(to_string(config_.db_safeguards.integrity_check_mode));
    if (auto log = add_session_log(config_.logging_dir, run_id_, config_.logging_max_session_log_mb)) {
      summary_.log_file = log->string();
    } else {
      warn(log.error().message);
    }
    heartbeat();
    spdlog::info("run {} starting: DB {}, engine {}", run_id_, config_.database.path.string(),
                 fmt::format("{}", fmt::join(config_.engine.command, " ")));
  }

  // The DB must be on a local disk: WAL does not work over a network.
  // A restore cut off by a kill is finished (or undone) before anything
  // looks at the DB: half a restore is neither the old DB nor the new one.
  std::optional<Error> finish_cut_off_restore() {
    auto finished = finish_interrupted_restore(config_.database.path);
    if (!finished) return finished.error();
    if (!*finished) return std::nullopt;
    warn((*finished)->message);
    if (!(*finished)->finished) return std::nullopt;
    // The lock on the DB file went aside with the old file.
    if (auto relocked = lock_->lock_db_file(); !relocked) warn(relocked.error().message);
    return std::nullopt;
  }

  std::optional<Error> check_location() {
    const auto location = check_db_location(
        config_.database.path, config_.database.require_local_filesystem, request_.probe_filesystem);
    summary_.db_health.filesystem_type = location.filesystem.type;
    if (location.warning) warn(*location.warning);
    return location.refusal;
  }

  // Continuity: before anything opens the DB, is it as the last run (or a
  // restore, or an accepted change) recorded it? See db_continuity.hpp.
  ContinuityResult compare_with_last_run() {
    auto& health = summary_.db_health;
    ContinuityRequest request{config_.database.path, config_.database.backup_dir,
                              config_.database.on_change_between_sessions,
                              request_.accept_changed_db, request_.target_argument, {}};
    // --accept-data-loss moved the lost WAL's files aside just before: not
    // a second change to accept.
    if (health.wal_evidence && health.wal_evidence->value("accepted", false)) {
      request.set_aside = {"-wal", "-shm"};
    }
    ContinuityResult result;
    // Beside the event loop: the digest of a big DB that changed is cut
    // short by a Ctrl+C.
    watch_->run_step(
        [&](std::stop_token stop) { result = check_continuity(request, history_.load(), stop); });
    health.continuity = std::string(to_string(result.status));
    health.continuity_details = continuity_details(result, request);
    switch (result.status) {
      case Continuity::kOk:
      case Continuity::kFirstRun:
        // Same content with another mtime or identity is said, not warned.
        for (const auto& note : result.notes) spdlog::info("continuity: {}", note);
        spdlog::info("continuity: {}", result.detail);
        break;
      case Continuity::kNoRecord:
        spdlog::warn("continuity: {}", result.detail);
        break;
      case Continuity::kNotChecked:
        if (result.warning) warn(*result.warning);
        break;
      case Continuity::kChangedAccepted:
      case Continuity::kChangedWarned:
        // The operator's acceptance (or the config's) is itself a record of
        // the DB: the next start compares with it.
        if (result.status == Continuity::kChangedWarned) {
          warn(result.report);
        } else {
          spdlog::warn("{}", result.report);
        }
        if (auto recorded = history_.append(
                db_change_accepted_event(run_id_, iso8601_utc(Clock::now()), result));
            !recorded) {
          warn("could not record the accepted change in the history (" +
               recorded.error().message + "); the next start will find the same change");
        }
        break;
      case Continuity::kChangedRefused:
        break;  // abort_run reports it
    }
    if (request_.accept_changed_db && result.status == Continuity::kOk) {
      spdlog::info("--accept-changed-db: nothing to accept, the DB is as recorded");
    }
    return result;
  }

  // The engine is the sole writer: no one else may hold the DB or its -wal.
  // First before anything reads the DB: what another writer changes as it
  // is read proves nothing (the WAL's evidence, continuity, the gate), and
  // a copy of it is wasted work. Then again just before the engine starts,
  // for a process that opened the DB while the gate ran.
  std::optional<Error> check_sole_writer() {
    if (!config_.database.refuse_if_open_elsewhere) return std::nullopt;
    return open_elsewhere_error(config_.database.path,
                                find_open_holders(live_db_files(config_.database.path)));
  }

  // The WAL's own evidence, before anything opens the DB: SQLite's first
  // open would erase the record of committed frames the -wal lost.
  std::optional<Error> examine_wal() {
    const auto evidence = read_wal_evidence(config_.database.path);
    auto& health = summary_.db_health;
    health.wal_evidence = to_json(evidence);
    if (evidence.verdict == WalVerdict::kUnsettled) {
      warn("the -wal and -shm of " + config_.database.path.string() +
           " kept changing while they were read: another process writes the DB");
    }
    if (!evidence.refuses()) return std::nullopt;
    if (!request_.accept_data_loss) return wal_lost_failure(gate_request(), evidence);
    return accept_data_loss(evidence);
  }

  // --accept-data-loss: the -wal and -shm go aside as evidence, so that
  // neither SQLite nor the next start reads them again, and the history
  // says who went on without what.
  std::optional<Error> accept_data_loss(const WalEvidence& evidence) {
    auto aside = move_side_files_aside(config_.database.path, config_.database.backup_dir,
                                       {"-wal", "-shm"}, Clock::now());
    if (!aside) {
      return Error{aside.error().exit_code,
                   "--accept-data-loss: the evidence of the loss could not be moved aside, so the "
                   "run does not go on: " + aside.error().message};
    }
    auto& health = summary_.db_health;
    (*health.wal_evidence)["accepted"] = true;
    (*health.wal_evidence)["evidence_folder"] = aside->folder.string();
    warn("data loss accepted (--accept-data-loss): " + describe_loss(evidence) +
         ". The -wal and -shm were moved to " + aside->folder.string());
    if (auto recorded = history_.append(data_loss_accepted_event(
            run_id_, iso8601_utc(Clock::now()), *health.wal_evidence, aside->folder.string()));
        !recorded) {
      warn("could not record the accepted data loss in the history: " + recorded.error().message);
    }
    return std::nullopt;
  }

  struct Refusal {
    Error error;
    std::string halt_reason;
  };

  // Before the gate: a hot rollback journal (a writer cut off in a
  // transaction) is rolled back here, with the lock held and no other
  // process on the DB, after a copy of the DB and the journal is set aside
  // as evidence; not by the engine's first read, unseen (hot_journal.hpp).
  // After the continuity check, which compares the DB as the last run left
  // it; the DB the rollback makes is recorded for the next one.
  std::optional<Refusal> roll_back_hot_journal() {
    const auto found = find_hot_journal(config_.database.path);
    if (!found) return std::nullopt;
    auto& health = summary_.db_health;
    health.hot_journal = to_json(*found);
    (*health.hot_journal)["rolled_back"] = false;
    spdlog::warn("hot rollback journal found: {}. Setting a copy of the DB and the journal aside, "
                 "then rolling it back…",
                 describe(*found));
    std::optional<Result<JournalRollback>> rolled;
    std::optional<nlohmann::json> at_rest;
    watch_->run_step([&](std::stop_token stop) {
      rolled = es::roll_back_hot_journal(*found, config_.database.backup_dir, Clock::now());
      if (!*rolled) return;
      // The DB as the rollback left it: a record of the DB, as a run's end
      // makes one, so the next start finds it as this run made it.
      if (auto looked = look_at_db(config_.database.path, true, stop)) at_rest = to_json(*looked);
    });
    if (!*rolled) {
      const auto& error = rolled->error();
      (*health.hot_journal)["error"] = error.message;
      return Refusal{error, error.exit_code == ExitCode::kLocked ? "db_open_elsewhere"
                                                                 : "hot_journal_not_rolled_back"};
    }
    const auto& done = rolled->value();
    (*health.hot_journal)["rolled_back"] = true;
    (*health.hot_journal)["evidence_folder"] = done.evidence_folder.string();
    (*health.hot_journal)["db_bytes_after"] = done.db_bytes_after;
    rolled_back_journal_ = true;
    warn("hot rollback journal rolled back: " + found->journal.string() + " (" +
         std::to_string(found->journal_bytes) + " bytes) held the pages of a transaction its "
         "writer never committed; SQLite restored them into " + config_.database.path.string() +
         " (" + std::to_string(found->db_bytes) + " → " + std::to_string(done.db_bytes_after) +
         " bytes) and deleted the journal. The DB and the journal as they were are in " +
         done.evidence_folder.string() + ". The gate checks the result.");
    if (auto recorded = history_.append(hot_journal_rolled_back_event(
            run_id_, iso8601_utc(Clock::now()), *health.hot_journal, at_rest));
        !recorded) {
      warn("could not record the rollback of the hot journal in the history (" +
           recorded.error().message + "); the next start will find the DB changed");
    }
    return std::nullopt;
  }

  GateRequest gate_request() const {
    GateRequest gate{config_.database.path, config_.database.backup_dir,
                     config_.db_safeguards.integrity_check_mode, config_.database.allow_missing,
                     request_.target_argument};
    gate.read_wal_evidence = false;  // examine_wal() read it
    return gate;
  }

  // 3 + 4. Gate, with the pre-session backup copied alongside and kept only
  // if the gate passes. A failed backup warns and does not block.
  StartupCheck gate_and_pre_backup() {
    const auto& safeguards = config_.db_safeguards;
    StartupCheckRequest check;
    check.gate = gate_request();
    // A DB the supervisor itself just rolled back is checked whatever the
    // config says.
    check.run_gate = safeguards.integrity_check_on_startup || rolled_back_journal_;
    check.take_backup = safeguards.pre_session_backup_enabled;
    check.retention = retention_policy(safeguards);
    if (check.run_gate) {
      spdlog::info("checking {} ({} check)…", config_.database.path.string(),
                   to_string(safeguards.integrity_check_mode));
    }
    // The gate's progress is shown; the backup copies alongside, silently.
    // Both run beside the event loop, so a Ctrl+C abandons them at once.
    ProgressDisplay display("checking " + config_.database.path.string());
    StartupCheck result;
    watch_->run_step([&](std::stop_token stop) {
      result = run_startup_check(check, show_check_progress(display), stop);
    });
    display.finish();
    auto& health = summary_.db_health;
    for (const auto& stale :
         BackupStore(config_.database.path, config_.database.backup_dir).find_stale_temporaries()) {
      warn("a killed backup left the temporary " + stale.string() +
           "; it is not a backup and may be deleted");
    }
    health.integrity_check = result.gate.report.stopped ? "not finished: stop requested"
                             : check.run_gate || result.gate.failure ? result.gate.summary_line()
                                                                      : "skipped";
    health.integrity_check_seconds = result.gate.report.seconds;
    if (check.run_gate && !result.gate.first_run && !result.gate.report.stopped) {
      health.integrity_check_db_bytes = result.gate.report.file_size;
    }
    if (result.gate.first_run) {
      spdlog::warn("{} does not exist: first run (database.allow_missing is true); no check, "
                   "no pre-session backup",
                   config_.database.path.string());
      if (check.take_backup) {
        health.pre_session_backup_skipped = "the DB does not exist yet (first run)";
      }
    } else if (result.stopped) {
      spdlog::warn("stop requested during the integrity check and pre-session backup: no "
                   "backup was kept, and the engine will not be started");
    } else if (result.gate.passed() && check.run_gate) {
      spdlog::info("integrity check ok in {:.2f} s", result.gate.report.seconds);
    }
    if (result.backup) {
      health.pre_session_backup = result.backup->file.path.filename().string();
      pre_backup_seconds_ = result.backup->seconds;
      spdlog::info("pre-session backup {} written and verified", result.backup->file.path.string());
      record_retention(*result.backup);
    } else if (result.backup_skipped) {
      // Expected on a first run: the engine has not set the DB up yet.
      health.pre_session_backup_skipped = *result.backup_skipped;
      spdlog::info("pre-session backup skipped: {}", *result.backup_skipped);
    } else if (result.backup_error) {
      health.pre_session_backup_error = result.backup_error->message;
      warn("pre-session backup failed, continuing without it: " + result.backup_error->message);
    }
    return result;
  }

  // 4b. The application's own invariants (config db_checks), on the DB the
  // gate passed. A failed `refuse` check fails closed like the gate.
  std::optional<Refusal> check_invariants_at_startup(const StartupCheck& startup) {
    if (config_.db_checks.empty() || startup.gate.first_run) return std::nullopt;
    std::vector<DbCheckResult> results;
    watch_->run_step([&](std::stop_token stop) { results = check_invariants(DbCheckPhase::kStartup, stop); });
    for (const auto& result : results) {
      if (!result.passed && result.refuse) {
        return Refusal{Error{ExitCode::kIntegrityFailed,
                             db_check_failure_message(config_.database.path, result)},
                       "db_check_failed:" + result.name};
      }
    }
    return std::nullopt;
  }

  // Runs the db_checks of `phase` and records each in the summary. A failure
  // that does not refuse the start is a warning, with the rows it found.
  std::vector<DbCheckResult> check_invariants(DbCheckPhase phase, std::stop_token stop) {
    auto results = run_db_checks(config_.database.path, config_.db_checks, phase, stop);
    for (const auto& result : results) {
      summary_.db_health.db_checks.push_back(to_json(result));
      if (result.passed) {
        spdlog::info("{} ({:.2f} s)", result.headline(), result.seconds);
        continue;
      }
      if (phase == DbCheckPhase::kStartup && result.refuse) continue;  // the refusal says it all
      std::string rows;
      for (const auto& row : result.first_rows) rows += "\n    " + row;
      warn("DB " + result.headline() + " on " + config_.database.path.string() +
           (rows.empty() ? "" : "; first rows:" + rows) +
           (phase == DbCheckPhase::kPostSession && result.refuse
                ? "\n  It is on_fail: refuse: if it also runs at startup, the next start refuses "
                  "the DB until the data is repaired."
                : ""));
    }
    return results;
  }

  // 5. Mark running: durably, before the engine exists, so a supervisor
  // that dies from here on is found by the next start.
  void mark_running() {
    const auto& health = summary_.db_health;
    nlohmann::json details = {
        {"supervisor_pid", current_process_id()},
        {"summary_path", summary_path(config_.summary_dir, run_id_).string()},
        {"summary_dir", config_.summary_dir.string()},
        {"db_path", health.db_path},
        {"backup_dir", health.backup_dir},
        {"filesystem_type", health.filesystem_type},
        {"integrity_check", health.integrity_check},
        {"integrity_check_mode", health.integrity_check_mode},
        {"integrity_check_seconds", health.integrity_check_seconds},
        {"continuity", health.continuity},
        {"pre_session_backup", health.pre_session_backup ? nlohmann::json(*health.pre_session_backup)
                                                         : nlohmann::json(nullptr)},
        {"command", config_.engine.command},
        {"log_file", summary_.log_file},
        {"config_file", summary_.config_file},
        {"supervisor_version", summary_.supervisor_version}};
    if (auto marked = history_.append(run_started_event(run_id_, summary_.started_at, details));
        !marked) {
      warn("could not record the run in the history (" + marked.error().message +
           "); if this supervisor dies, the next start cannot tell");
    }
    marked_running_ = true;
    start_offsite_copies();
  }

  // 5b. Off-site copies, beside the session on a thread of their own: the
  // pre-session backup just taken, and any an earlier run left uncopied.
  void start_offsite_copies() {
    if (!config_.offsite.enabled() || offsite_) return;
    offsite_ = std::make_unique<OffsiteCopier>(config_.offsite, config_.database.path,
                                               config_.database.backup_dir, run_id_);
    offsite_->sync();
    if (in_session_) in_session_->on_taken([this] { offsite_->sync(); });
  }

  // Waits (offsite.wait_seconds at most) for the copies under way; what
  // failed is a warning and an offsite_failed event, never another outcome.
  void finish_offsite_copies() {
    if (!offsite_) return;
    summary_.db_health.offsite = offsite_->finish();
    for (const auto& failure : offsite_->failures()) warn(failure);
  }

  // From the lock on, a stop signal never kills the supervisor mid-step (a
  // half-written backup, no summary): it is held until the engine exists,
  // or stops the run before the engine is started.
  std::unique_ptr<EngineWatch> route_stop_signals() {
    WatchSettings settings;
    settings.stop_signal = config_.engine.stop_signal;
    settings.grace = std::chrono::seconds(config_.engine.stop_grace_seconds);
    settings.on_heartbeat = [this] { heartbeat(); };
    if (config_.db_safeguards.in_session_backup_minutes > 0) {
      in_session_ = std::make_unique<InSessionBackups>(config_.database.path,
                                                       config_.database.backup_dir,
                                                       config_.db_safeguards.in_session_backup_minutes);
      settings.backup_every = in_session_->every();
      settings.on_backup_due = [this] { in_session_->tick(); };
    }
    settings.on_engine_tree = [this](const EngineTreeRecord& tree) { record_engine_tree(tree); };
    settings.on_lines = [this](std::span<const std::string_view> lines) {
      for (const auto line : lines) engine_errors_.scan(line);
    };
    settings.on_stop_requested = [this](const std::string& reason) {
      if (in_session_) in_session_->stop();  // a copy never delays the stop
      if (auto recorded = history_.append(stop_requested_event(run_id_, iso8601_utc(Clock::now()),
                                                               reason));
          !recorded) {
        warn(recorded.error().message);
      }
    };
    return std::make_unique<EngineWatch>(std::move(settings));
  }

  static Error stopped_early() {
    return Error{ExitCode::kUnclean,
                 "stop requested before the engine started: the engine was not started"};
  }

  // 6. Spawn: the engine as sole writer. No handle on the DB is open here:
  // every check and backup above closed its connection.
  Result<void> spawn_engine() {
    EngineSpec spec{config_.engine.command, config_.engine.working_dir, config_.engine.env};
    spec.extra_env["ENGINE_SUPERVISOR_DB"] = config_.database.path.string();
    spec.extra_env["ENGINE_SUPERVISOR_RUN_ID"] = run_id_;
    spec.extra_env["ENGINE_SUPERVISOR_SUMMARY"] = summary_path(config_.summary_dir, run_id_).string();
    spec.run_id = run_id_;
    spec.stop_signal = config_.engine.stop_signal;
    spec.stop_grace = std::chrono::seconds(config_.engine.stop_grace_seconds);
    if (in_session_) in_session_->set_baseline();  // the pre-session backup holds this state
    auto pid = watch_->start(spec);
    if (!pid) return pid.error();
    summary_.engine.pid = *pid;
    // The tree was recorded as the engine started (record_engine_tree).
    if (auto recorded = history_.append(engine_started_event(
            run_id_, *pid, iso8601_utc(Clock::now()), engine_tree_.cgroup));
        !recorded) {
      warn(recorded.error().message);
    }
    spdlog::info("engine started, pid {}; Ctrl+C or closing the terminal stops it gracefully",
                 *pid);
    release_free_memory();  // after the spawn: the engine does not wait for it
    return {};
  }

  // The engine's tree changed (engine_watch.hpp): into the lock file at
  // once, so the next start finds what it holds should this supervisor die.
  void record_engine_tree(const EngineTreeRecord& tree) {
    engine_tree_ = tree;
    if (!tree.cgroup.empty()) summary_.engine.cgroup = tree.cgroup;
    heartbeat();
  }

  // 7. Watch until the engine and what it started are gone.
  WatchOutcome watch_engine(EngineWatch& watch) {
    auto outcome = watch.run();
    summary_.engine.exit_code = outcome.exit.exit_code;
    if (outcome.exit.signal) summary_.engine.signal = outcome.exit.signal_name();
    summary_.engine.left_running = outcome.exit.left_running;
    for (const auto& left : outcome.exit.left_running) {
      if (left.ended == "still_running") {
        warn("pid " + std::to_string(left.pid) + " (" + left.command +
             "), started by the engine, is still running after the engine exited: not even a "
             "kill ended it");
      }
    }
    report_engine_errors();
    finish_in_session_backups();
    return outcome;
  }

  // 7b. A copy still running when the engine ended on its own is waited for
  // (it is a good copy); after a stop request it was already abandoned.
  void finish_in_session_backups() {
    if (!in_session_) return;
    const auto end = in_session_->finish();
    for (const auto& taken : end.taken) record_retention(taken);
    for (const auto& failure : end.failures) warn(failure);
    summary_.db_health.in_session_backups = in_session_->to_json();
  }

  // The engine's own error lines: loud, but they never change the outcome.
  void report_engine_errors() {
    summary_.engine_errors = engine_errors_.to_json();
    if (engine_errors_.count() == 0) return;
    std::string lines;
    for (const auto& line : engine_errors_.first()) lines += "\n    " + line;
    if (engine_errors_.count() > static_cast<long long>(engine_errors_.first().size())) {
      lines += "\n    …";
      for (const auto& line : engine_errors_.last()) lines += "\n    " + line;
    }
    warn("the engine printed " + std::to_string(engine_errors_.count()) + " error line" +
         (engine_errors_.count() == 1 ? "" : "s") + " (engine.error_patterns); see the session log " +
         summary_.log_file + ":" + lines);
  }

  // 8. Classify.
  SessionVerdict classify(const WatchOutcome& ended) {
    const auto& engine = config_.engine;
    auto verdict = classify_exit(ended.exit, ended.state, engine.clean_exit_codes,
                                 {engine.stop_signal, engine.clean_stop_signals});
    const auto how = ended.exit.signal ? "killed by " + ended.exit.signal_name()
                                       : "exited with code " + std::to_string(*ended.exit.exit_code);
    // The supervisor's own stop is never "engine killed" (issue 11.17).
    const auto ended_by_stop = "ended by the " + engine.stop_signal + " the supervisor sent to stop it";
    if (verdict.clean() && verdict.died_of_our_stop) {
      spdlog::info("engine {} (engine.clean_stop_signals lists it): session clean ({})",
                   ended_by_stop, verdict.halt_reason);
    } else if (verdict.died_of_our_stop) {
      warn("engine " + ended_by_stop + ", which it does not handle: session UNCLEAN (" +
           verdict.halt_reason +
           "); no post-session backup will be taken. If this engine always ends this way on a "
           "stop, list " + engine.stop_signal + " in engine.clean_stop_signals");
    } else if (verdict.clean()) {
      spdlog::info("engine {}: session clean ({})", how, verdict.halt_reason);
    } else {
      spdlog::error("engine {}: session UNCLEAN ({}); no post-session backup will be taken", how,
                    verdict.halt_reason);
    }
    return verdict;
  }

  // A closed console gives the process seconds (Windows: about 5 s), so what
  // is known is written first; the post-session steps then follow as time
  // allows, and rewrite the summary if they finish.
  void write_summary_before_exit(const SessionVerdict& verdict) {
    summary_.outcome = verdict.outcome;
    summary_.halt_reason = verdict.halt_reason;
    (void)record_end(verdict.clean() ? ExitCode::kSuccess : ExitCode::kUnclean);
    flush_logs();
    release_console_close_wait();
  }

  // 9. Post-session: a read-only quick_check whatever the outcome; the
  // post-backup only after a clean session; then, if the check passed, the
  // WAL fold, which leaves the DB one self-contained file at rest. Beside
  // the event loop, so a stop signal now (a second Ctrl+C while a big DB
  // copies) cuts the check and the backup short. Returns the fold, nullopt
  // when it was not tried, for the steps that follow.
  std::optional<WalFold> post_session(const SessionVerdict& verdict) {
    if (db_open_after_engine()) return std::nullopt;
    std::optional<WalFold> folded;
    watch_->run_step([&](std::stop_token stop) {
      if (!check_after_engine(stop)) return;
      if (verdict.clean() && config_.db_safeguards.post_session_backup_enabled) {
        take_post_session_backup(stop);
      }
      if (!stop.stop_requested()) check_invariants(DbCheckPhase::kPostSession, stop);
      folded = fold_at_rest();
    });
    return folded;
  }

  // The engine and its tree are gone: does anyone else still hold the DB?
  // A holder the engine's tree did not account for (or one that outlived
  // its kill) may still write it, and a check, a backup or a fold beside a
  // writer is worth nothing. True if the post-session steps are skipped.
  bool db_open_after_engine() {
    auto holders = find_open_holders(live_db_files(config_.database.path));
    summary_.db_health.open_after_engine = holders;
    if (holders.empty()) return false;
    const auto who = describe_open_holders(holders);
    if (!config_.database.refuse_if_open_elsewhere) {
      warn("after the engine exited, other processes still have " +
           config_.database.path.string() + " open:" + who +
           "\nThe post-session steps run beside them (database.refuse_if_open_elsewhere is "
           "false).");
      return false;
    }
    summary_.db_health.post_session_integrity = "skipped: the DB is open in another process";
    summary_.db_health.warnings.push_back(
        "POST-SESSION STEPS SKIPPED: after the engine exited, other processes still have " +
        config_.database.path.string() + " open:" + who +
        "\nThey may still write it, so no post-session quick_check, backup or WAL fold was "
        "made. Stop them, then check the DB (engine-supervisor check); the next run refuses "
        "to start while they hold it.");
    spdlog::error("{}", summary_.db_health.warnings.back());
    return true;
  }

  // True if the quick_check passed. A failed or abandoned check leaves every
  // file as it is, as evidence: nothing is folded.
  bool check_after_engine(std::stop_token stop) {
    auto& health = summary_.db_health;
    const auto report = run_integrity_check(config_.database.path, CheckMode::kQuick, {}, stop);
    health.post_session_integrity_seconds = report.seconds;
    if (report.stopped) {
      health.post_session_integrity = "not finished: stop requested";
      warn("stop requested: the post-session quick_check of " + config_.database.path.string() +
           " was abandoned, no post-session backup was taken and the WAL was not folded; the "
           "next start's gate checks the DB");
      return false;
    }
    health.post_session_integrity = report.first_failure();
    if (!report.ok()) {
      warn("post-session quick_check of " + config_.database.path.string() +
           " is not ok: " + report.first_failure() +
           ". The next start's gate will refuse it. Nothing was folded: its -wal and -shm are "
           "left as they are, as evidence.");
    }
    return report.ok();
  }

  void take_post_session_backup(std::stop_token stop) {
    auto& health = summary_.db_health;
    const BackupStore store(config_.database.path, config_.database.backup_dir);
    ProgressDisplay display("post-session backup of " + config_.database.path.string());
    auto taken = store.take(BackupKind::kPostSession, retention_policy(config_.db_safeguards),
                            Clock::now(), show_backup_progress(display), stop);
    display.finish();
    if (!taken) {
      health.post_session_backup_error = taken.error().message;
      warn("post-session backup failed: " + taken.error().message);
      return;
    }
    if (taken->skipped) {
      health.post_session_backup_skipped = *taken->skipped;
      spdlog::info("post-session backup skipped: {}", *taken->skipped);
      return;
    }
    health.post_session_backup = taken->file.path.filename().string();
    post_backup_seconds_ = taken->seconds;
    record_retention(*taken);
    spdlog::info("post-session backup {} written and verified", taken->file.path.string());
    if (offsite_) offsite_->sync();
  }

  // One of the two writes the supervisor makes to the live DB (the other
  // rolls back a hot journal before the gate), and why it keeps the engine
  // the sole writer: it adds no content. It moves pages already
  // committed from the -wal into the main file, with the engine gone, the
  // lock held and no other process on the DB (see common/wal_fold.hpp). It
  // runs also after a stop request cut the backup short: it is short, and
  // safe to interrupt (a checkpoint is redone from the -wal at the next open).
  WalFold fold_at_rest() {
    auto fold = fold_wal(config_.database.path);
    if (fold.status == FoldStatus::kFolded) {
      summary_.db_health.wal_frames_checkpointed = fold.frames_checkpointed;
    }
    switch (fold.status) {
      case FoldStatus::kFolded:
        spdlog::info("WAL folded into {}: {} frames checkpointed; no -wal or -shm remain",
                     config_.database.path.string(), *fold.frames_checkpointed);
        break;
      case FoldStatus::kNotWal:
        spdlog::info("{} is not in WAL mode: nothing to fold", config_.database.path.string());
        break;
      case FoldStatus::kHeldElsewhere:
      case FoldStatus::kFailed: warn(fold.message); break;
    }
    return fold;
  }

  // 10. At rest: the files left beside the DB, in the summary.
  void report_at_rest(const std::optional<WalFold>& folded) {
    auto& health = summary_.db_health;
    health.at_rest = files_at_rest(config_.database.path);
    if (folded && folded->status == FoldStatus::kFolded) return;
    std::string left;
    for (const auto& file : *health.at_rest) {
      left += " " + file.name + " (" + std::to_string(file.bytes) + " bytes)";
    }
    spdlog::info("left beside the DB:{}", left);
  }

  // 11. Record the DB at rest: its size, times, identity, side files and
  // digest, for the next start to compare with. Last of the post-session
  // steps (after the WAL fold): the files are as they will stay.
  void record_at_rest() {
    watch_->run_step([&](std::stop_token stop) {
      auto looked = look_at_db(config_.database.path, true, stop);
      if (!looked) {
        warn("the DB at rest was not recorded (" + looked.error().message +
             "): the next start has nothing to compare it with");
        return;
      }
      if (auto recorded = history_.append(
              db_at_rest_event(*looked, "run_end", iso8601_utc(Clock::now()), run_id_));
          !recorded) {
        warn("the DB at rest was not recorded in the history (" + recorded.error().message +
             "): the next start has nothing to compare it with");
        return;
      }
      spdlog::info("DB at rest recorded: {} bytes, {} {}",
                   looked->main ? looked->main->size : 0, kContentDigestName, looked->digest);
    });
  }

  // 12 + 13. Summary, then close the run in the history.
  ExitCode finish(const SessionVerdict& verdict) {
    const auto code = verdict.clean() ? ExitCode::kSuccess : ExitCode::kUnclean;
    summary_.outcome = verdict.outcome;
    summary_.halt_reason = verdict.halt_reason;
    return close_run(code);
  }

  ExitCode abort_run(const Error& error, const std::string& halt_reason) {
    report_failure(error);
    summary_.outcome = "aborted";
    summary_.halt_reason = halt_reason;
    summary_.db_health.warnings.push_back(error.message);
    summary_.db_health.at_rest = files_at_rest(config_.database.path);
    if (!marked_running_) mark_running();
    return close_run(error.exit_code);
  }

  ExitCode close_run(ExitCode code) {
    if (const auto skipped = console_dropped_lines(); skipped > 0) {
      warn(std::to_string(skipped) +
           " lines skipped on the console because it could not keep up; this log has every line");
    }
    // A full disk under logging.dir: said on the console when it happened,
    // and here, in the summary, with how many lines the logs lack.
    for (const auto& failure : log_write_failures()) warn(failure);
    finish_offsite_copies();
    summary_.log_cap = session_log_cap_report();
    if (!summary_.log_cap.is_null()) {
      warn("the session log reached its cap (logging.max_session_log_mb: " +
           summary_.log_cap["max_session_log_mb"].dump() + "): it keeps the head in " +
           summary_.log_file + " and the newest lines in " + summary_.log_cap["tail_files"].dump() +
           "; the lines between were dropped");
    }
    auto written = record_end(code);
    if (notify_operator(written ? written->string() : "") && written) {
      // The notifications go into the summary it was handed.
      if (auto rewritten = write_summary(config_.summary_dir, summary_); !rewritten) {
        spdlog::warn("could not add the notifications to the summary: {}", rewritten.error().message);
      }
    }
    log_to_platform();
    write_metrics(code);
    keep_newest_sessions();
    release_console_close_wait();  // a console-close handler may be waiting on us
    spdlog::info("run {} {} ({}). Summary: {}  Log: {}  Backups: {}", run_id_, summary_.outcome,
                 summary_.halt_reason,
                 written ? written->string() : std::string("(not written)"), summary_.log_file,
                 config_.database.backup_dir.string());
    return code;
  }

  // notify.command for what went wrong in this run (notifier.hpp). A
  // notifier that fails is a warning. True if any notifier ran.
  bool notify_operator(const std::string& summary_file) {
    if (config_.notify.command.empty()) return false;
    const auto db = config_.database.path.string();
    const auto results = notify(config_.notify, run_events(summary_, db),
                                {run_id_, db, summary_file, config_.logging_dir}, to_json(summary_));
    for (const auto& result : results) {
      summary_.notifications.push_back(result.to_json());
      if (!result.ok()) warn(result.warning());
    }
    return !results.empty();
  }

  // The outcome, and each warning, in journald, syslog or the Windows Event
  // Log (platform_log.hpp): where an operator's own tools look.
  void log_to_platform() const {
    const auto db = config_.database.path.string();
    const auto halt = summary_.halt_reason.substr(0, summary_.halt_reason.find('\n'));
    const auto run = "run " + (run_id_.empty() ? std::string("(none)") : run_id_) + " of " + db;
    using Level = PlatformLogEntry::Level;
    const auto level = summary_.outcome == "clean"     ? Level::kInfo
                       : summary_.outcome == "refused" ? Level::kWarning
                                                       : Level::kError;
    auto where = write_platform_log(
        {level, run + ": " + summary_.outcome + " (" + halt + ")", run_id_, summary_.outcome, halt, db});
    for (const auto& warning : summary_.db_health.warnings) {
      (void)write_platform_log({Level::kWarning,
                                run + ": warning: " + warning.substr(0, warning.find('\n')),
                                run_id_, summary_.outcome, halt, db});
    }
    if (where.starts_with("not written")) spdlog::warn("the platform's log: {}", where);
  }

  // logging.keep_sessions: the logs, summaries and history of older runs go,
  // after this run's are written (and counted in the metrics).
  void keep_newest_sessions() {
    const auto keep = config_.logging_keep_sessions;
    const auto pruned =
        prune_session_files(config_.logging_dir, config_.summary_dir, keep, run_id_);
    for (const auto& warning : pruned.warnings) spdlog::warn("{}", warning);
    if (!pruned.deleted.empty()) {
      spdlog::info("logging.keep_sessions ({}): deleted {} log and summary files of older "
                   "sessions, such as {}",
                   keep, pruned.deleted.size(), pruned.deleted.front().string());
    }
    auto dropped = history_.keep_newest_runs(static_cast<std::size_t>(keep));
    if (!dropped) {
      spdlog::warn("logging.keep_sessions: could not prune the run history: {}",
                   dropped.error().message);
    } else if (*dropped > 0) {
      spdlog::info("logging.keep_sessions ({}): the run history dropped its {} oldest runs", keep,
                   *dropped);
    }
  }

  // metrics.textfile, for node_exporter: after the summary and the history,
  // so the counts include this run. A failure warns; the run is what it was.
  void write_metrics(ExitCode code) {
    if (config_.metrics_textfile.empty()) return;
    RunMetrics m;
    m.db = config_.database.path.string();
    m.run_id = run_id_;
    m.outcome = summary_.outcome;
    m.halt_reason = summary_.halt_reason;
    m.exit_code = to_int(code);
    const auto now = Clock::now();
    m.finished_at_unix = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
    m.session_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
    m.gate_seconds = summary_.db_health.integrity_check_seconds;
    m.pre_session_backup_seconds = pre_backup_seconds_;
    m.post_session_backup_seconds = post_backup_seconds_;
    const auto backups = BackupStore(config_.database.path, config_.database.backup_dir).list(now);
    if (!backups.empty() && backups.front().dating.taken) {
      m.newest_backup_age_seconds = std::chrono::duration<double>(now - *backups.front().dating.taken).count();
    }
    std::error_code ec;
    if (const auto size = fs::file_size(config_.database.path, ec); !ec) m.db_size_bytes = size;
    for (const auto& run : history_.load().runs) {
      ++m.runs_total;
      if (run.outcome == "unclean") ++m.unclean_runs_total;
    }
    m.engine_error_lines = engine_errors_.count();
    if (auto written = write_metrics_textfile(config_.metrics_textfile, m); !written) {
      spdlog::warn("metrics.textfile not written: {}", written.error().message);
    }
  }

  // The summary, then the run's end in the history. Returns the summary path.
  Result<fs::path> record_end(ExitCode code) {
    summary_.ended_at = iso8601_utc(Clock::now());
    summary_.supervisor_exit_code = to_int(code);
    auto written = write_summary(config_.summary_dir, summary_);
    if (!written) warn("could not write the session summary: " + written.error().message);
    RunRecord record;
    record.run_id = run_id_;
    record.outcome = summary_.outcome;
    record.halt_reason = summary_.halt_reason;
    record.ended_at = summary_.ended_at;
    record.exit_code = summary_.engine.exit_code;
    record.signal = summary_.engine.signal;
    record.post_session_backup = summary_.db_health.post_session_backup;
    if (auto closed = history_.append(run_finished_event(record)); !closed) {
      warn("could not close the run in the history: " + closed.error().message);
    }
    return written;
  }

  void heartbeat() {
    LockHolder holder{current_process_id(), run_id_, summary_.started_at,
                      iso8601_utc(Clock::now())};
    holder.engine_tree = engine_tree_;
    if (auto recorded = lock_->record(holder); !recorded) warn(recorded.error().message);
  }

  void warn(const std::string& message) {
    spdlog::warn("{}", message);
    summary_.db_health.warnings.push_back(message);
  }

  // What retention did after a backup: its deletions (the store logged
  // each) into the summary, its warnings once each (the pre- and
  // post-session retention both report a backup with a future stamp).
  void record_retention(const TakenBackup& taken) {
    auto& health = summary_.db_health;
    for (const auto& deleted : taken.deleted) {
      health.backups_deleted.push_back({deleted.path.filename().string(),
                                        std::string(to_string(deleted.kind)),
                                        iso8601_utc(deleted.taken), deleted.age.count()});
    }
    for (const auto& w : taken.warnings) {
      if (std::find(health.warnings.begin(), health.warnings.end(), w) == health.warnings.end()) {
        warn(w);
      }
    }
  }

  const SessionRequest& request_;
  const Config& config_;
  RunHistory history_;
  EngineErrorLines engine_errors_;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  double pre_backup_seconds_ = 0;
  double post_backup_seconds_ = 0;
  std::optional<SessionLock> lock_;
  std::unique_ptr<EngineWatch> watch_;
  std::unique_ptr<InSessionBackups> in_session_;  // when db_safeguards asks for them
  std::unique_ptr<OffsiteCopier> offsite_;  // when offsite: is configured, from mark_running on
  std::string run_id_;
  SessionSummary summary_;
  EngineTreeRecord engine_tree_;  // the engine's tree as last seen, for the lock file
  bool marked_running_ = false;
  bool rolled_back_journal_ = false;
};

}  // namespace

SessionEnd run_session(const SessionRequest& request) {
  Session session(request);
  const auto code = session.run();
  return session.end(code);
}

}  // namespace es
