#pragma once
// What a folder holds, captured deeply without following a single link, so a
// test can prove that nothing in it was deleted, replaced, followed or
// written: every entry's type, permission bits, inode, and its bytes (a
// file) or target (a symlink).
//
// Pure data plus blocking reads; thread-safe on distinct folders.

#include <sys/types.h>

#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace es::torture {

enum class EntryType { kFile, kFolder, kSymlink, kFifo, kOther };

struct EntryState {
  EntryType type = EntryType::kOther;
  mode_t mode = 0;      // permission bits
  ino_t inode = 0;      // a replaced file has a new inode even with the same bytes
  std::string content;  // a file's bytes, a symlink's target; empty otherwise

  bool operator==(const EntryState&) const = default;
};

// Keyed by the path relative to the captured root ("a", "a/b").
using FolderState = std::map<std::string, EntryState>;

// Everything under `root`, recursively; symlinks are recorded, never followed.
FolderState capture_folder(const std::filesystem::path& root);

// One line per difference: an entry gone, added or changed. `may_go` lists
// entries whose removal is expected (with everything below them); `may_come`
// lists entries that are expected to appear. Empty when nothing else differs.
std::vector<std::string> folder_differences(const FolderState& before, const FolderState& after,
                                            const std::set<std::string>& may_go = {},
                                            const std::set<std::string>& may_come = {});

std::string to_string(EntryType type);

}  // namespace es::torture
