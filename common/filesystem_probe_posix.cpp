#include <sys/vfs.h>

#include <cstdint>
#include <fstream>
#include <sstream>

#include "common/filesystem_probe.hpp"

namespace es {

namespace {

struct KnownType {
  std::uint64_t magic;
  const char* name;
  bool network;
};

// statfs(2) magic numbers; the network ones are from TECH-NOTES.
constexpr KnownType kKnownTypes[] = {
    {0xEF53, "ext4", false},        {0x58465342, "xfs", false},
    {0x9123683E, "btrfs", false},   {0x01021994, "tmpfs", false},
    {0x794C7630, "overlayfs", false}, {0x2FC12FC1, "zfs", false},
    {0xF2F52010, "f2fs", false},    {0x4d44, "vfat", false},
    {0x5346544E, "ntfs", false},    {0x6969, "nfs", true},
    {0x517B, "smb", true},          {0xFF534D42, "cifs", true},
    {0xFE534D42, "smb2", true},     {0x00C36400, "ceph", true},
    {0x5346414F, "afs", true},      {0x01021997, "9p", true},
    {0x65735546, "fuse", false},
};

// FUSE hides what is behind it; mountinfo names it (fuse.sshfs and the like).
std::string fuse_subtype(const std::filesystem::path& folder) {
  std::ifstream mounts("/proc/self/mountinfo");
  std::string line, best_type;
  std::size_t best_length = 0;
  const auto target = std::filesystem::weakly_canonical(folder).string();
  while (std::getline(mounts, line)) {
    std::istringstream fields(line);
    std::string id, parent, devices, root, mount_point, field;
    fields >> id >> parent >> devices >> root >> mount_point;
    while (fields >> field && field != "-") {
    }
    std::string type;
    fields >> type;
    if (target.rfind(mount_point, 0) == 0 && mount_point.size() >= best_length) {
      best_length = mount_point.size();
      best_type = type;
    }
  }
  return best_type;
}

}  // namespace

FilesystemInfo probe_filesystem(const std::filesystem::path& folder) {
  struct statfs info {};
  if (::statfs(folder.c_str(), &info) != 0) return {"unknown (statfs failed)", false};
  const auto magic = static_cast<std::uint64_t>(static_cast<std::uint32_t>(info.f_type));
  for (const auto& known : kKnownTypes) {
    if (known.magic != magic) continue;
    if (std::string(known.name) == "fuse") {
      const auto subtype = fuse_subtype(folder);
      const bool network = subtype.find("sshfs") != std::string::npos ||
                           subtype.find("smb") != std::string::npos ||
                           subtype.find("nfs") != std::string::npos ||
                           subtype.find("s3") != std::string::npos;
      return {subtype.empty() ? "fuse" : subtype, network};
    }
    return {known.name, known.network};
  }
  std::ostringstream hex;
  hex << "unknown (0x" << std::hex << magic << ")";
  return {hex.str(), false};
}

}  // namespace es
