#pragma once
// The name a file is really known by. Two configs that name one DB through a
// symlink (to the file, or to a folder on its way) must get one name, so the
// side files the supervisor derives from it (the lock, the history, the
// backups' default folder) are one set and not two. What a name cannot show
// (a hard link, a bind mount) is caught by the lock on the file itself
// (db_file_lock.hpp).
// One implementation per OS: real_path_posix.cpp (realpath(3)) and
// real_path_windows.cpp (GetFinalPathNameByHandleW, which resolves symlinks
// and junctions). Reads the filesystem, never changes it; thread-safe.

#include <filesystem>

namespace es {

// `path` (absolute) with every symlink and `..` resolved: the file's own
// symlink is followed when it leads to a regular file or to nothing yet (a
// dangling link: SQLite would create the file where it points); a missing
// file gets its folder resolved. Returns `path` unchanged where nothing can be
// resolved (a missing folder, a symlink loop, no permission) and where the
// file is not a regular file (a FIFO, a device, a folder): the checks that
// refuse those name it as configured. Never fails.
std::filesystem::path real_path(const std::filesystem::path& path);

}  // namespace es
