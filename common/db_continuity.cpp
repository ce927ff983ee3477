#include "common/db_continuity.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <set>

#include "common/backup_store.hpp"
#include "common/content_digest.hpp"
#include "common/integrity_gate.hpp"
#include "common/shell_command.hpp"
#include "common/utf8_path.hpp"

namespace es {
namespace fs = std::filesystem;
using nlohmann::json;

std::string_view to_string(Continuity continuity) {
  switch (continuity) {
    case Continuity::kNotChecked: return "not_checked";
    case Continuity::kOk: return "ok";
    case Continuity::kFirstRun: return "first_run";
    case Continuity::kNoRecord: return "no_record";
    case Continuity::kChangedAccepted: return "changed_accepted";
    case Continuity::kChangedWarned: return "changed_warned";
    case Continuity::kChangedRefused: return "changed_refused";
  }
  return "not_checked";
}

namespace {

constexpr std::string_view kAcceptFlag = "--accept-changed-db";

// A field of a history line, or "" when a hand edit left something else.
std::string text(const json& event, const char* key) {
  const auto it = event.find(key);
  return it != event.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// The events that record the DB as a run (or a restore) left it. A run
// that rolled back a hot journal recorded the DB it made, when it could.
bool is_record(const json& event) {
  const auto type = text(event, "event");
  return type == "db_at_rest" || type == "db_change_accepted" ||
         (type == "hot_journal_rolled_back" && event.contains("db"));
}

std::string describe_run(const RunRecord& run) {
  std::string out = run.run_id + " (" + run.outcome;
  if (!run.halt_reason.empty()) out += ", " + run.halt_reason;
  return out + ")";
}

// "at the end of run R, 2026-…", for the message's `recorded:` line.
std::string describe_record(const json& event) {
  const auto at = text(event, "at");
  if (text(event, "event") == "db_change_accepted") {
    return "when run " + text(event, "run_id") + " went on with a changed DB (" +
           text(event, "by") + "), " + at;
  }
  if (text(event, "recorded_by") == "restore") {
    return "by the restore of " + text(event, "backup") + ", " + at;
  }
  if (text(event, "event") == "hot_journal_rolled_back") {
    return "when run " + text(event, "run_id") + " rolled back a hot journal, " + at;
  }
  return "at the end of run " + text(event, "run_id") + ", " + at;
}

std::string identity_text(const FileIdentity& id) {
  return std::to_string(id.volume) + ":" + std::to_string(id.index);
}

// What differs between two stamps of the main file, one phrase each.
std::vector<std::string> stamp_differences(const FileStamp& was, const FileStamp& is) {
  std::vector<std::string> out;
  if (was.size != is.size) out.push_back(fmt::format("size {} → {} bytes", was.size, is.size));
  if (was.modified_ns != is.modified_ns) {
    out.push_back("modified " + iso8601_utc_ns(was.modified_ns) + " → " +
                  iso8601_utc_ns(is.modified_ns));
  }
  if (was.identity != is.identity) {
    out.push_back("file identity (volume:index) " + identity_text(was.identity) + " → " +
                  identity_text(is.identity) + ": another file now has the DB's name");
  }
  if (out.empty() && was.changed_ns != is.changed_ns) {
    out.push_back("inode change time " + iso8601_utc_ns(was.changed_ns) + " → " +
                  iso8601_utc_ns(is.changed_ns));
  }
  return out;
}

std::string size_text(const std::optional<std::uint64_t>& size) {
  return size ? std::to_string(*size) + " bytes" : std::string("absent");
}

// The side files: a -wal or -journal with content is content; everything
// else that a reader leaves behind is a note.
void compare_side_files(const DbAtRest& record, const fs::path& db,
                        const std::vector<std::string>& set_aside, DbComparison& out) {
  for (const char* suffix : kSqliteSideFileSuffixes) {
    const auto find = [&](const DbAtRest& at) -> std::optional<std::uint64_t> {
      const auto it = at.side_files.find(suffix);
      return it == at.side_files.end() ? std::nullopt : std::optional<std::uint64_t>(it->second);
    };
    const auto before = find(record);
    const auto after = find(out.now);
    if (before == after) continue;
    const std::string name = db.filename().string() + suffix;
    std::string what = !before  ? name + " appeared (" + size_text(after) + ")"
                       : !after ? name + " is gone (it was " + size_text(before) + ")"
                                : name + " " + size_text(before) + " → " + size_text(after);
    const std::string_view kind = suffix;
    const bool content = kind != "-shm" && (before.value_or(0) > 0 || after.value_or(0) > 0);
    if (std::find(set_aside.begin(), set_aside.end(), kind) != set_aside.end()) {
      out.notes.push_back(what + ": this run moved it aside (--accept-data-loss)");
    } else if (!content) {
      out.notes.push_back(what + ", which any reader may leave: not a change of content");
    } else if (kind == "-wal") {
      out.differences.push_back(what + ": committed transactions not in the main file");
    } else {
      out.differences.push_back(what + ": a writer was cut off in a transaction (a hot journal)");
    }
  }
}

}  // namespace

ContinuityBaseline find_baseline(const LoadedHistory& history) {
  ContinuityBaseline baseline;
  std::map<std::string, const RunRecord*> runs;
  for (const auto& run : history.runs) runs[run.run_id] = &run;
  for (auto run = history.runs.rbegin(); run != history.runs.rend(); ++run) {
    if (run->ended_at) {
      baseline.last_run = *run;
      break;
    }
  }
  const auto& events = history.events;
  std::size_t since = 0;
  for (std::size_t i = events.size(); i-- > 0;) {
    if (!is_record(events[i])) continue;
    const auto db = events[i].find("db");
    auto record = db == events[i].end() ? std::nullopt : db_at_rest_from_json(*db);
    if (!record) {
      baseline.warnings.push_back("run history " + text(events[i], "at") +
                                  ": a record of the DB is unreadable and was skipped");
      continue;
    }
    baseline.record = std::move(record);
    baseline.record_event = events[i];
    since = i + 1;
    break;
  }
  // A run started after the record whose engine ran, or whose supervisor
  // was lost (it may have started the engine before it could say so).
  std::set<std::string> started_since;
  for (std::size_t i = since; i < events.size(); ++i) {
    const auto type = text(events[i], "event");
    const auto run_id = text(events[i], "run_id");
    if (type == "run_started") started_since.insert(run_id);
    if (!started_since.count(run_id)) continue;
    const bool ran = type == "engine_started" ||
                     (type == "run_finished" && text(events[i], "halt_reason") == "supervisor_lost");
    if (ran && runs.count(run_id)) baseline.unrecorded_run = *runs[run_id];
  }
  return baseline;
}

Result<DbComparison> compare_with_record(const DbAtRest& record, const fs::path& db,
                                         const std::vector<std::string>& set_aside,
                                         std::stop_token stop) {
  auto looked = look_at_db(db, false);
  if (!looked) return looked.error();
  DbComparison out;
  out.now = std::move(*looked);
  // A new look, with the digest and a stamp that agrees with it.
  const auto read_digest = [&]() -> Result<void> {
    const auto start = std::chrono::steady_clock::now();
    auto read = look_at_db(db, true, stop);
    if (!read) return read.error();
    out.now = std::move(*read);
    out.digest_read = true;
    out.digest_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return {};
  };
  // Only now is the content read: the size, times and identity agree on
  // every start after a run that ended normally.
  if (record.main && out.now.main && *record.main != *out.now.main) {
    if (auto read = read_digest(); !read) return read.error();
  }
  const auto& was = record.main;
  const auto& is = out.now.main;
  if (was && !is) {
    out.differences.push_back("the DB is gone: " + db.string() + " does not exist (it was " +
                              std::to_string(was->size) + " bytes)");
  } else if (!was && is) {
    out.differences.push_back("a DB appeared where there was none (" + std::to_string(is->size) +
                              " bytes)");
  } else if (was && is && out.digest_read) {
    auto what = stamp_differences(*was, *is);
    if (!record.digest.empty() && out.now.digest == record.digest) {
      std::string joined;
      for (const auto& w : what) joined += (joined.empty() ? "" : "; ") + w;
      if (!what.empty()) {
        out.notes.push_back("same content (" + std::string(kContentDigestName) + " " +
                            record.digest + "), though " + joined + ": not a change");
      }
    } else {
      what.push_back("content (" + std::string(kContentDigestName) + ") " +
                     (record.digest.empty() ? std::string("not recorded") : record.digest) +
                     " → " + out.now.digest);
      out.differences.insert(out.differences.end(), what.begin(), what.end());
    }
  }
  compare_side_files(record, db, set_aside, out);
  // A change is recorded when the run goes on: with the content's digest.
  if (out.changed() && is && !out.digest_read) {
    if (auto read = read_digest(); !read) return read.error();
  }
  return out;
}

namespace {

std::string change_report(std::string_view headline, const ContinuityRequest& request,
                          const ContinuityBaseline& baseline, const DbComparison& compared) {
  std::string out = std::string(headline) + "\n";
  out += "  database: " + request.db_path.string() + "\n";
  out += "  recorded: " + describe_record(baseline.record_event) + "\n";
  if (baseline.last_run && baseline.last_run->run_id != text(baseline.record_event, "run_id")) {
    out += "  last run: " + describe_run(*baseline.last_run) + " ended " +
           baseline.last_run->ended_at.value_or("?") + "\n";
  }
  out += "  what differs:\n";
  for (const auto& difference : compared.differences) out += "    " + difference + "\n";
  for (const auto& note : compared.notes) out += "    (" + note + ")\n";
  out.pop_back();  // a warning as it is; the refusal adds the ways out
  return out;
}

// The first line of the report, by what the run does about the change.
std::string change_headline(Continuity status) {
  if (status == Continuity::kChangedAccepted) {
    return "The DB changed between sessions; accepted with " + std::string(kAcceptFlag) +
           " and recorded: the session goes on.";
  }
  if (status == Continuity::kChangedWarned) {
    return "WARNING: the DB changed between sessions. It is not as the last run left it: another "
           "program wrote it, or another copy was put in its place. The session goes on because "
           "database.on_change_between_sessions is warn.";
  }
  return "The DB changed between sessions — session refused. It is not as the last run left it: "
         "another program wrote it, or another copy was put in its place (a sync tool, a manual "
         "copy).";
}

std::string ways_out(const ContinuityRequest& request) {
  std::string out =
      "  If the change is wanted (a migration you ran, the right copy put in place), accept it "
      "and start; the acceptance is recorded:\n";
  out += "    " +
         supervisor_command("run " + request.target_argument + " " + std::string(kAcceptFlag)) +
         "\n";
  out += "  If not, put back the DB as it was:\n";
  // The gate's lines, one level deeper.
  const auto advice =
      restore_advice(BackupStore(request.db_path, request.backup_dir), request.target_argument);
  for (std::size_t at = 0; at < advice.size();) {
    const auto end = advice.find('\n', at);
    out += "  " + advice.substr(at, end == std::string::npos ? end : end + 1 - at);
    at = end == std::string::npos ? advice.size() : end + 1;
  }
  out += "  (database.on_change_between_sessions: warn makes such a change a warning)\n";
  return out;
}

}  // namespace

ContinuityResult check_continuity(const ContinuityRequest& request, const LoadedHistory& history,
                                  std::stop_token stop) {
  ContinuityResult result;
  const auto baseline = find_baseline(history);
  result.notes = baseline.warnings;
  if (baseline.record) result.baseline = baseline.record_event;
  if (baseline.unrecorded_run) {
    const auto& run = *baseline.unrecorded_run;
    result.status = Continuity::kNoRecord;
    result.detail =
        "run " + describe_run(run) + ", started " + run.started_at +
        ", ran the engine and left no record of the DB at rest" +
        (run.halt_reason == "supervisor_lost"
             ? std::string(" (its supervisor was lost)")
             : std::string(baseline.record ? "" : " (runs of earlier versions recorded none)")) +
        ": nothing to compare the DB with; the WAL forensics and the integrity gate alone "
        "decide this start";
    return result;
  }
  if (!baseline.record) {
    result.status = Continuity::kFirstRun;
    result.detail = "no earlier run of this DB is recorded: nothing to compare the DB with";
    return result;
  }
  auto compared = compare_with_record(*baseline.record, request.db_path, request.set_aside, stop);
  if (!compared) {
    if (stop.stop_requested()) {
      result.stopped = true;
      result.detail = "stop requested during the comparison";
    } else {
      result.warning = "could not compare " + request.db_path.string() +
                       " with its record at rest (" + compared.error().message +
                       "); the integrity gate alone decides this start";
      result.detail = *result.warning;
    }
    return result;
  }
  result.differences = compared->differences;
  result.notes.insert(result.notes.end(), compared->notes.begin(), compared->notes.end());
  result.digest_read = compared->digest_read;
  result.digest_seconds = compared->digest_seconds;
  const auto recorded = describe_record(baseline.record_event);
  if (!compared->changed()) {
    result.status = Continuity::kOk;
    result.detail = "the DB is as recorded " + recorded;
    return result;
  }
  std::string joined;
  for (const auto& d : compared->differences) joined += (joined.empty() ? "" : "; ") + d;
  result.detail = "changed since recorded " + recorded + ": " + joined;
  result.status = request.accept_changed_db               ? Continuity::kChangedAccepted
                  : request.policy == ChangePolicy::kWarn ? Continuity::kChangedWarned
                                                          : Continuity::kChangedRefused;
  result.report = change_report(change_headline(result.status), request, baseline, *compared);
  if (result.status == Continuity::kChangedRefused) {
    result.refusal = Error{compared->now.main ? ExitCode::kIntegrityFailed : ExitCode::kDbMissing,
                           result.report + "\n" + ways_out(request)};
  } else {
    result.accepted = compared->now;
  }
  return result;
}

json db_change_accepted_event(const std::string& run_id, const std::string& at,
                              const ContinuityResult& result) {
  return {{"event", "db_change_accepted"},
          {"run_id", run_id},
          {"at", at},
          {"by", result.status == Continuity::kChangedAccepted
                     ? std::string(kAcceptFlag)
                     : std::string("on_change_between_sessions: warn")},
          {"differences", result.differences},
          {"db", result.accepted ? to_json(*result.accepted) : json(nullptr)}};
}

json continuity_details(const ContinuityResult& result, const ContinuityRequest& request) {
  json compared_with = nullptr;
  if (!result.baseline.is_null()) {
    compared_with = {{"event", text(result.baseline, "event")},
                     {"recorded_by", text(result.baseline, "recorded_by")},
                     {"run_id", text(result.baseline, "run_id")},
                     {"at", text(result.baseline, "at")}};
  }
  return {{"detail", result.detail},
          {"differences", result.differences},
          {"notes", result.notes},
          {"compared_with", compared_with},
          {"digest_read", result.digest_read},
          {"digest_seconds", result.digest_seconds},
          {"accept_changed_db", request.accept_changed_db},
          {"on_change_between_sessions", std::string(to_string(request.policy))}};
}

}  // namespace es
