#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>

#include "common/file_owner.hpp"

namespace es {
namespace fs = std::filesystem;

namespace {

// -1 while files stay with whoever made them.
std::atomic<long long> g_owner{-1};
std::atomic<long long> g_group{-1};

}  // namespace

std::optional<std::string> give_created_files_to_db_owner(const fs::path& db) {
  if (::geteuid() != 0) return std::nullopt;
  struct stat status {};
  if (::stat(db.c_str(), &status) != 0) {
    const auto folder = db.parent_path().empty() ? fs::path(".") : db.parent_path();
    if (::stat(folder.c_str(), &status) != 0) return std::nullopt;
  }
  if (status.st_uid == 0) return std::nullopt;
  g_owner = status.st_uid;
  g_group = status.st_gid;
  const passwd* account = ::getpwuid(status.st_uid);
  const std::string name = account ? account->pw_name : "uid " + std::to_string(status.st_uid);
  return "running as root for a DB that " + name + " owns: the files made for it (lock, "
         "history, logs, summaries, backups) are given to " + name;
}

void hand_over(const fs::path& created) {
  const auto owner = g_owner.load();
  if (owner < 0) return;
  [[maybe_unused]] const int ignored =
      ::lchown(created.c_str(), static_cast<uid_t>(owner), static_cast<gid_t>(g_group.load()));
}

void copy_ownership(const fs::path& from, const fs::path& to) {
  struct stat status {};
  if (::stat(from.c_str(), &status) != 0) return;
  if (::chown(to.c_str(), ::geteuid() == 0 ? status.st_uid : static_cast<uid_t>(-1),
              status.st_gid) != 0) {
    return;  // not a group this account is in: the copy keeps the account's own
  }
}

}  // namespace es
