#pragma once
// What kind of filesystem holds a folder, and whether it is a network one.
// SQLite's WAL mode does not work over a network filesystem
// (sqlite.org/wal.html); that is how the users' live DB was corrupted.
// One implementation per OS (statfs f_type on Linux; GetDriveTypeW on Windows).

#include <filesystem>
#include <string>

namespace es {

struct FilesystemInfo {
  std::string type;      // "ext4", "tmpfs", "nfs", "cifs", … or "unknown (0x…)"
  bool network = false;
};

FilesystemInfo probe_filesystem(const std::filesystem::path& folder);

}  // namespace es
