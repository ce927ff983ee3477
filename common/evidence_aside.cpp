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

}  // namespace

Result<EvidenceAside> move_side_files_aside(const fs::path& db_path, const fs::path& backup_dir,
                                            const std::vector<std::string_view>& suffixes,
                                            Clock::time_point now) {
  EvidenceAside aside;
  aside.folder = backup_dir / with_suffix(db_path.filename(), ".evidence." + compact_stamp(now));
  std::error_code ec;
  fs::create_directories(backup_dir, ec);
  if (!fs::create_directory(aside.folder, ec)) {
    return Error{ExitCode::kIoError, "creating the evidence folder " + aside.folder.string() +
                                         " failed: " + (ec ? ec.message() : "it already exists")};
  }
  for (const auto suffix : suffixes) {
    const auto from = with_suffix(db_path, suffix);
    if (!fs::exists(fs::symlink_status(from, ec))) continue;
    const auto to = aside.folder / with_suffix(db_path.filename(), suffix);
    if (auto moved = move_one(from, to); !moved) return moved.error();
    aside.moved.push_back(to);
  }
  if (auto synced = sync_folder(aside.folder); !synced) return synced.error();
  if (auto synced =
          sync_folder(db_path.parent_path().empty() ? fs::path(".") : db_path.parent_path());
      !synced) {
    return synced.error();
  }
  return aside;
}

}  // namespace es
