#include "supervisor/offsite_snapshots.hpp"

#include <fmt/format.h>

#include <spdlog/spdlog.h>

#include <algorithm>

#include "common/os_info.hpp"
#include "common/utf8_path.hpp"

namespace es {
namespace fs = std::filesystem;

namespace {

// restic writes its local time with an offset and nanoseconds
// (2026-12-04T08:51:08.070214665+01:00); the instant is what orders them.
std::optional<Clock::time_point> parse_restic_time(const std::string& text) {
  if (text.size() < 20) return std::nullopt;
  auto base = parse_iso8601_utc(text.substr(0, 19) + "Z");
  if (!base) return std::nullopt;
  auto rest = std::string_view(text).substr(19);
  // Two snapshots of one run often fall in the same second.
  std::chrono::nanoseconds fraction{0};
  if (rest.starts_with('.')) {
    const auto digits = std::min(rest.find_first_not_of("0123456789", 1), rest.size());
    long long scale = 100'000'000;
    for (std::size_t i = 1; i < digits && scale > 0; ++i, scale /= 10) {
      fraction += std::chrono::nanoseconds((rest[i] - '0') * scale);
    }
    rest = rest.substr(digits);
  }
  *base += std::chrono::duration_cast<Clock::duration>(fraction);
  if (rest == "Z") return base;
  if (rest.size() != 6 || (rest[0] != '+' && rest[0] != '-') || rest[3] != ':') return std::nullopt;
  const auto number = [&](std::size_t at) { return (rest[at] - '0') * 10 + (rest[at + 1] - '0'); };
  if (rest.substr(1, 2).find_first_not_of("0123456789") != std::string_view::npos ||
      rest.substr(4, 2).find_first_not_of("0123456789") != std::string_view::npos) {
    return std::nullopt;
  }
  const auto offset = std::chrono::hours(number(1)) + std::chrono::minutes(number(4));
  return rest[0] == '+' ? *base - offset : *base + offset;
}

std::string tag_value(const nlohmann::json& tags, std::string_view key) {
  if (!tags.is_array()) return {};
  for (const auto& tag : tags) {
    if (!tag.is_string()) continue;
    const auto& text = tag.get_ref<const std::string&>();
    if (text.size() > key.size() && text.starts_with(key) && text[key.size()] == '=') {
      return text.substr(key.size() + 1);
    }
  }
  return {};
}

}  // namespace

Result<Restic> open_offsite(const Config& config, const std::string& name) {
  if (!config.offsite.enabled()) {
    return Error{ExitCode::kUsage,
                 "no offsite.restic_repository in " +
                     (config.source_file.empty() ? std::string("the settings (--db)")
                                                 : config.source_file.string()) +
                     ": there is no off-site repository to read (docs/offsite.md sets one up)"};
  }
  if (auto program = Restic::find_program(config.offsite); !program) return program.error();
  if (auto password = Restic::check_password_file(config.offsite); !password) return password.error();
  return Restic(config.offsite, name);
}

Result<std::vector<OffsiteSnapshot>> list_offsite_snapshots(const Restic& restic, const fs::path& db) {
  auto listed = restic.snapshots(offsite_db_tag(db));
  if (!listed) return listed.error();
  std::vector<OffsiteSnapshot> snapshots;
  for (const auto& entry : *listed) {
    if (!entry.is_object() || !entry.contains("id") || !entry["id"].is_string()) continue;
    OffsiteSnapshot snapshot;
    snapshot.id = entry["id"];
    snapshot.short_id = entry.value("short_id", snapshot.id.substr(0, 8));
    snapshot.taken = parse_restic_time(entry.value("time", "")).value_or(Clock::time_point{});
    const auto tags = entry.value("tags", nlohmann::json::array());
    snapshot.kind = tag_value(tags, "kind");
    snapshot.run = tag_value(tags, "run");
    snapshot.host = entry.value("hostname", "");
    if (const auto files = snapshot_files(entry); !files.empty()) snapshot.file = files.front();
    snapshots.push_back(std::move(snapshot));
  }
  std::stable_sort(snapshots.begin(), snapshots.end(),
                   [](const auto& a, const auto& b) { return a.taken > b.taken; });
  return snapshots;
}

DownloadedSnapshot::DownloadedSnapshot(DownloadedSnapshot&& other) noexcept
    : dir_(std::move(other.dir_)), file_(std::move(other.file_)) {
  other.dir_.clear();
}

DownloadedSnapshot::~DownloadedSnapshot() {
  if (dir_.empty()) return;
  std::error_code ec;
  fs::remove_all(dir_, ec);  // the supervisor's own folder, made for this download
}

namespace {

// A download cut off (a kill, a power cut) leaves its folder. Said, not
// removed: a name alone does not prove the supervisor made it.
void warn_of_stale_downloads(const fs::path& db, const fs::path& backup_dir) {
  const auto prefix = db.filename().string() + ".offsite-restore.";
  std::error_code ec;
  for (fs::directory_iterator it(backup_dir, ec), end; !ec && it != end; it.increment(ec)) {
    const auto name = it->path().filename().string();
    if (!name.starts_with(prefix) || !name.ends_with(".tmp")) continue;
    const auto pid = name.substr(prefix.size(), name.size() - prefix.size() - 4);
    if (pid.empty() || pid.size() > 9 || pid.find_first_not_of("0123456789") != std::string::npos) continue;
    if (process_exists(std::stol(pid))) continue;
    spdlog::warn("{} was left by a restore --offsite that was cut off (process {} is gone): it "
                 "holds only a downloaded copy; remove it once you have looked",
                 it->path().string(), pid);
  }
}

}  // namespace

Result<DownloadedSnapshot> download_offsite_snapshot(const Restic& restic,
                                                     const OffsiteSnapshot& snapshot,
                                                     const fs::path& db, const fs::path& backup_dir) {
  warn_of_stale_downloads(db, backup_dir);
  const auto dir = backup_dir / with_suffix(db.filename(), fmt::format(".offsite-restore.{}.tmp",
                                                                       current_process_id()));
  std::error_code ec;
  if (!fs::create_directory(dir, ec)) {
    return Error{ExitCode::kIoError,
                 "cannot make the folder " + dir.string() + " to download snapshot " +
                     snapshot.short_id + " into: " +
                     (ec ? ec.message() : std::string("it exists already (remove it if no restore runs)"))};
  }
  DownloadedSnapshot downloaded(dir, {});
  if (auto restored = restic.restore(snapshot.id, dir); !restored) return restored.error();
  std::vector<fs::path> files;
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code status_error;
    if (it->is_regular_file(status_error) && !it->is_symlink(status_error)) files.push_back(it->path());
  }
  const auto named = std::find_if(files.begin(), files.end(),
                                  [&](const fs::path& file) { return file.filename().string() == snapshot.file; });
  if (named == files.end() && files.size() != 1) {
    return Error{ExitCode::kIoError, fmt::format("snapshot {} held {} files, not the one backup {} "
                                                 "the supervisor copies; nothing was changed",
                                                 describe(snapshot), files.size(), snapshot.file)};
  }
  downloaded.file_ = named == files.end() ? files.front() : *named;
  return downloaded;
}

std::string describe(const OffsiteSnapshot& snapshot) {
  return fmt::format("{} ({}, {}, {})", snapshot.short_id,
                     snapshot.kind.empty() ? "no kind tag" : snapshot.kind, iso8601_utc(snapshot.taken),
                     snapshot.file);
}

}  // namespace es
