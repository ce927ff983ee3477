#pragma once
// What a file is, without reading it: its size, its times and which file it
// is on its volume. Two looks at one name that agree on all of this have, in
// practice, the same bytes; any difference means the content must be read to
// tell (db_continuity does that). One implementation per OS:
// file_identity_posix.cpp (stat: st_dev, st_ino, st_mtim, st_ctim) and
// file_identity_windows.cpp (GetFileInformationByHandle: volume serial number
// and file index; GetFileInformationByHandleEx: ChangeTime).
// Never opens the file for writing, never follows it anywhere but its name.
// Thread-safe: no shared state.

#include <cstdint>
#include <filesystem>
#include <optional>

#include "common/result.hpp"

namespace es {

// Which file a name points to. Another file moved in under the name (a sync
// tool's rename, `cp` to a new file, a restore) has another identity.
struct FileIdentity {
  std::uint64_t volume = 0;  // POSIX st_dev; Windows volume serial number
  std::uint64_t index = 0;   // POSIX st_ino; Windows file index (high:low)

  bool operator==(const FileIdentity&) const = default;
};

struct FileStamp {
  FileIdentity identity;
  std::uint64_t size = 0;
  // Nanoseconds since the Unix epoch (Windows: to 100 ns).
  std::int64_t modified_ns = 0;
  // The last change of the file's data or metadata. Unlike the modification
  // time, no program can set it back: a writer that restores the mtime
  // still moves it.
  std::int64_t changed_ns = 0;

  bool operator==(const FileStamp&) const = default;
};

// The stamp of `file`, or nullopt when nothing has that name. Any other
// failure (a folder in the way of the path, no permission) is an Error
// naming the path and the OS error (kIoError).
[[nodiscard]] Result<std::optional<FileStamp>> stamp_file(const std::filesystem::path& file);

}  // namespace es
