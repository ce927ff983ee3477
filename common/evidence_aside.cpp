#include "common/evidence_aside.hpp"

#include <fstream>
#include <iterator>

#include "common/fs_ops.hpp"
#include "common/utf8_path.hpp"

namespace es {
namespace fs = std::filesystem;

namespace {

bool same_bytes(const fs::path& a, const fs::path& b) {
  std::ifstream x(a, std::ios::binary), y(b, std::ios::binary);
  if (!x || !y) return false;
  return std::equal(std::istreambuf_iterator<char>(x), std::istreambuf_iterator<char>(),
                    std::istreambuf_iterator<char>(y), std::istreambuf_iterator<char>());
}

Result<void> move_one(const fs::path& from, const fs::path& to) {
  if (rename_no_replace(from, to)) return {};
  // Another filesystem: copy, compare, then remove the original.
  std::error_code ec;
  fs::copy_file(from, to, fs::copy_options::none, ec);
  if (ec || !same_bytes(from, to)) {
    return Error{ExitCode::kIoError, "moving " + from.string() + " aside to " + to.string() +
                                         " failed: " + (ec ? ec.message() : "the copy differs") +
                                         "; it was left in place"};
  }
  if (auto synced = sync_file(to); !synced) return synced.error();
  if (auto removed = remove_file(from); !removed) return removed.error();
  return {};
}

Result<void> copy_one(const fs::path& from, const fs::path& to) {
  std::error_code ec;
  fs::copy_file(from, to, fs::copy_options::none, ec);
  if (ec || !same_bytes(from, to)) {
    return Error{ExitCode::kIoError, "copying " + from.string() + " aside to " + to.string() +
                                         " failed: " + (ec ? ec.message() : "the copy differs")};
  }
  return sync_file(to);
}

Result<fs::path> create_evidence_folder(const fs::path& db_path, const fs::path& backup_dir,
                                        Clock::time_point now) {
  const auto base = with_suffix(db_path.filename(), ".evidence." + compact_stamp(now));
  std::error_code ec;
  fs::create_directories(backup_dir, ec);
  for (int sequence = 1; sequence < 100; ++sequence) {
    // Appended piece by piece: GCC 12 warns falsely (-Wrestrict) on "-" + string.
    std::string suffix = sequence == 1 ? "" : "-";
    if (sequence > 1) suffix += std::to_string(sequence);
    auto folder = backup_dir / with_suffix(base, suffix);
    if (fs::create_directory(folder, ec)) return folder;
    if (ec) {
      return Error{ExitCode::kIoError,
                   "creating the evidence folder " + folder.string() + " failed: " + ec.message()};
    }
  }
  return Error{ExitCode::kIoError, "creating an evidence folder " + (backup_dir / base).string() +
                                       " failed: 99 of that second already exist"};
}

Result<void> sync_both_folders(const fs::path& folder, const fs::path& db_path) {
  if (auto synced = sync_folder(folder); !synced) return synced.error();
  return sync_folder(db_path.parent_path().empty() ? fs::path(".") : db_path.parent_path());
}

}  // namespace

Result<EvidenceAside> move_side_files_aside(const fs::path& db_path, const fs::path& backup_dir,
                                            const std::vector<std::string_view>& suffixes,
                                            Clock::time_point now) {
  EvidenceAside aside;
  auto folder = create_evidence_folder(db_path, backup_dir, now);
  if (!folder) return folder.error();
  aside.folder = std::move(*folder);
  std::error_code ec;
  for (const auto suffix : suffixes) {
    const auto from = with_suffix(db_path, suffix);
    if (!fs::exists(fs::symlink_status(from, ec))) continue;
    const auto to = aside.folder / with_suffix(db_path.filename(), suffix);
    if (auto moved = move_one(from, to); !moved) return moved.error();
    aside.moved.push_back(to);
  }
  if (auto synced = sync_both_folders(aside.folder, db_path); !synced) return synced.error();
  return aside;
}

Result<EvidenceAside> copy_files_aside(const fs::path& db_path, const fs::path& backup_dir,
                                       const std::vector<std::string_view>& suffixes,
                                       Clock::time_point now) {
  std::vector<std::pair<fs::path, std::uintmax_t>> present;
  std::uintmax_t total = 0;
  std::error_code ec;
  for (const auto suffix : suffixes) {
    const auto from = with_suffix(db_path, suffix);
    const auto size = fs::file_size(from, ec);
    if (ec) continue;  // not there: nothing to keep
    present.emplace_back(from, size);
    total += size;
  }
  fs::create_directories(backup_dir, ec);
  if (auto space = available_space(backup_dir); !space) {
    return space.error();
  } else if (*space < total + total / 20 + (1u << 20)) {
    return Error{ExitCode::kIoError,
                 "not enough free space in " + backup_dir.string() + " to set aside a copy of " +
                     db_path.string() + " and its side files: need about " +
                     std::to_string((total >> 20) + 1) + " MiB, " + std::to_string(*space >> 20) +
                     " MiB free. Free some space there first."};
  }
  EvidenceAside aside;
  auto folder = create_evidence_folder(db_path, backup_dir, now);
  if (!folder) return folder.error();
  aside.folder = std::move(*folder);
  for (const auto& [from, size] : present) {
    const auto to = aside.folder / from.filename();
    if (auto copied = copy_one(from, to); !copied) {
      // Half a set of evidence misleads: the folder goes, with what it holds
      // (only our own copies).
      fs::remove_all(aside.folder, ec);
      return copied.error();
    }
    aside.moved.push_back(to);
  }
  if (auto synced = sync_both_folders(aside.folder, db_path); !synced) return synced.error();
  return aside;
}

}  // namespace es
