#pragma once
// A DB's snapshots in its off-site repository, for `backups --offsite` and
// `restore --offsite`: listed newest first, and one downloaded into a
// temporary folder of the backup folder, to be checked and restored through
// the same verified path as a local backup. Blocking; runs restic.

#include <filesystem>
#include <string>
#include <vector>

#include "common/config.hpp"
#include "common/result.hpp"
#include "common/time_stamp.hpp"
#include "supervisor/offsite.hpp"

namespace es {

struct OffsiteSnapshot {
  std::string id, short_id;
  Clock::time_point taken;  // when restic made it
  std::string kind, run;    // from its tags; empty when absent
  std::string file;         // the backup file's name
  std::string host;
};

// restic for `config`'s offsite: section, its program found and its
// password file safe; otherwise the error that says what to fix.
[[nodiscard]] Result<Restic> open_offsite(const Config& config, const std::string& name);

// The snapshots tagged with this DB (offsite_db_tag), newest first.
[[nodiscard]] Result<std::vector<OffsiteSnapshot>> list_offsite_snapshots(
    const Restic& restic, const std::filesystem::path& db);

// A snapshot's file, downloaded to `<backup_dir>/<db>.offsite-restore.<pid>.tmp/`.
// The folder and everything in it go when this does.
class DownloadedSnapshot {
 public:
  DownloadedSnapshot(std::filesystem::path dir, std::filesystem::path file)
      : dir_(std::move(dir)), file_(std::move(file)) {}
  DownloadedSnapshot(DownloadedSnapshot&& other) noexcept;
  DownloadedSnapshot& operator=(DownloadedSnapshot&&) = delete;
  ~DownloadedSnapshot();
  const std::filesystem::path& file() const { return file_; }

 private:
  friend Result<DownloadedSnapshot> download_offsite_snapshot(const Restic&, const OffsiteSnapshot&,
                                                              const std::filesystem::path&,
                                                              const std::filesystem::path&);
  std::filesystem::path dir_, file_;
};

[[nodiscard]] Result<DownloadedSnapshot> download_offsite_snapshot(
    const Restic& restic, const OffsiteSnapshot& snapshot, const std::filesystem::path& db,
    const std::filesystem::path& backup_dir);

// How a snapshot is named to an operator: "a1b2c3d4 (bak, 2026-12-04T07:51:08Z, live.db.bak.…)".
std::string describe(const OffsiteSnapshot& snapshot);

}  // namespace es
