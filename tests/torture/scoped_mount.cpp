#include "torture/scoped_mount.hpp"

#include <sys/mount.h>

#include <cerrno>
#include <cstring>

namespace es::torture {
namespace fs = std::filesystem;

std::optional<ScopedMount> ScopedMount::tmpfs(const fs::path& where, std::uintmax_t size_bytes,
                                              std::string& why_not) {
  const std::string options = "size=" + std::to_string(size_bytes) + ",mode=0755";
  if (::mount("tmpfs", where.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, options.c_str()) != 0) {
    why_not =
        "mount -t tmpfs -o " + options + " on " + where.string() + ": " + std::strerror(errno);
    return std::nullopt;
  }
  return ScopedMount(where);
}

std::optional<ScopedMount> ScopedMount::read_only_bind(const fs::path& folder,
                                                       std::string& why_not) {
  if (::mount(folder.c_str(), folder.c_str(), nullptr, MS_BIND, nullptr) != 0) {
    why_not = "bind mount of " + folder.string() + ": " + std::strerror(errno);
    return std::nullopt;
  }
  ScopedMount mounted(folder);  // from here the destructor undoes the bind
  // A bind mount takes read-only only on a remount (mount(8) does the same).
  if (::mount(nullptr, folder.c_str(), nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY, nullptr) != 0) {
    why_not = "read-only remount of " + folder.string() + ": " + std::strerror(errno);
    return std::nullopt;
  }
  return mounted;
}

ScopedMount::ScopedMount(ScopedMount&& other) noexcept : path_(std::move(other.path_)) {
  other.path_.clear();
}

ScopedMount::~ScopedMount() {
  if (path_.empty()) return;
  // MNT_DETACH: a child the test failed to reap must not leave the mount
  // behind for ever; the kernel drops it once the last user is gone.
  if (::umount2(path_.c_str(), 0) != 0) ::umount2(path_.c_str(), MNT_DETACH);
}

}  // namespace es::torture
