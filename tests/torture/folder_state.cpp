#include "torture/folder_state.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include "support/test_db.hpp"

namespace es::torture {
namespace fs = std::filesystem;

namespace {

EntryState state_of(const fs::path& path) {
  struct stat info {};
  EntryState state;
  if (::lstat(path.c_str(), &info) != 0) return state;
  state.mode = info.st_mode & 07777;
  state.inode = info.st_ino;
  if (S_ISREG(info.st_mode)) {
    state.type = EntryType::kFile;
    state.content = test::read_file(path);
  } else if (S_ISDIR(info.st_mode)) {
    state.type = EntryType::kFolder;
  } else if (S_ISLNK(info.st_mode)) {
    state.type = EntryType::kSymlink;
    state.content = fs::read_symlink(path).string();
  } else if (S_ISFIFO(info.st_mode)) {
    state.type = EntryType::kFifo;
  }
  return state;
}

void capture_into(const fs::path& root, const std::string& prefix, FolderState& state) {
  for (const auto& entry : fs::directory_iterator(root / prefix)) {
    const std::string relative =
        (prefix.empty() ? "" : prefix + "/") + entry.path().filename().string();
    const auto entry_state = state_of(entry.path());
    state[relative] = entry_state;
    if (entry_state.type == EntryType::kFolder) capture_into(root, relative, state);
  }
}

bool covered_by(const std::string& relative, const std::set<std::string>& roots) {
  for (std::string path = relative;;) {
    if (roots.count(path)) return true;
    const auto slash = path.rfind('/');
    if (slash == std::string::npos) return false;
    path.resize(slash);
  }
}

std::string describe(const EntryState& state) {
  std::string text = to_string(state.type);
  if (state.type == EntryType::kFile)
    text += " of " + std::to_string(state.content.size()) + " bytes";
  if (state.type == EntryType::kSymlink) text += " to " + state.content;
  return text;
}

}  // namespace

std::string to_string(EntryType type) {
  switch (type) {
    case EntryType::kFile:
      return "file";
    case EntryType::kFolder:
      return "folder";
    case EntryType::kSymlink:
      return "symlink";
    case EntryType::kFifo:
      return "fifo";
    case EntryType::kOther:
      return "other";
  }
  return "other";
}

FolderState capture_folder(const fs::path& root) {
  FolderState state;
  capture_into(root, "", state);
  return state;
}

std::vector<std::string> folder_differences(const FolderState& before, const FolderState& after,
                                            const std::set<std::string>& may_go,
                                            const std::set<std::string>& may_come) {
  std::vector<std::string> differences;
  for (const auto& [path, was] : before) {
    const auto now = after.find(path);
    if (now == after.end()) {
      if (!covered_by(path, may_go))
        differences.push_back("gone: " + path + " (" + describe(was) + ")");
    } else if (now->second != was) {
      differences.push_back("changed: " + path + " (was " + describe(was) + ", now " +
                            describe(now->second) + ")");
    }
  }
  for (const auto& [path, is] : after) {
    if (!before.count(path) && !covered_by(path, may_come)) {
      differences.push_back("new: " + path + " (" + describe(is) + ")");
    }
  }
  return differences;
}

}  // namespace es::torture
