#pragma once
// Portable filesystem operations the standard library does not offer:
// durability (fsync of files and folders), exclusive private creation,
// rename that never replaces, free space. Implemented once per OS in
// fs_ops_posix.cpp and fs_ops_windows.cpp; CMake picks the file.
//
// Every failure is an Error whose message names the operation, the path and
// the OS error text. Thread-safe: no shared state.

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace es {

// Flushes the file's data and metadata to stable storage.
[[nodiscard]] Result<void> sync_file(const std::filesystem::path& file);

// Flushes a folder so that a rename or create inside it survives a power cut.
// A no-op where the OS has no such thing (Windows).
[[nodiscard]] Result<void> sync_folder(const std::filesystem::path& folder);

// Creates an empty file readable and writable by the owner only (0600),
// given to the DB's owner (file_owner.hpp).
// Fails if anything, even a dangling symlink, already has that name: it never
// follows a link and never truncates an existing file.
[[nodiscard]] Result<void> create_private_file(const std::filesystem::path& file);

// Creates `folder` (and its missing parents) readable by the owner only
// (0700, whatever the umask), given to the DB's owner like every file the
// supervisor makes (file_owner.hpp). An existing folder is left as it is.
[[nodiscard]] Result<void> create_private_folder(const std::filesystem::path& folder);

// Renames `from` to `to` unless something (a dangling link too) has the
// name `to`: false then, and nothing changed. The check and the rename are
// one step (link(2); MoveFileEx without REPLACE_EXISTING), so of two
// processes claiming one name exactly one gets it, and the other can move
// on to the next name instead of failing after its work is done.
[[nodiscard]] Result<bool> rename_if_free(const std::filesystem::path& from,
                                          const std::filesystem::path& to);

// Renames `from` to `to`; fails with an error if `to` exists. Never replaces.
[[nodiscard]] Result<void> rename_no_replace(const std::filesystem::path& from,
                                             const std::filesystem::path& to);

// Renames `from` over `to`, replacing it atomically.
[[nodiscard]] Result<void> rename_replace(const std::filesystem::path& from,
                                          const std::filesystem::path& to);

// Deletes `file`, a file or a link, but never a folder: a folder swapped in
// under the name between a listing and the delete stays, contents and all.
// True if it deleted something, false if nothing had that name.
[[nodiscard]] Result<bool> remove_file(const std::filesystem::path& file);

// Bytes available to this user on the filesystem that holds `folder`.
[[nodiscard]] Result<std::uintmax_t> available_space(const std::filesystem::path& folder);

// The permission bits others than the owner have on `file` (POSIX: mode &
// 077), for a secret that must stay the owner's: 0 when none. Windows keeps
// access in ACLs, not in mode bits: always 0 there.
[[nodiscard]] Result<unsigned> permissions_of_others(const std::filesystem::path& file);

// Removes write permission for everyone.
[[nodiscard]] Result<void> make_read_only(const std::filesystem::path& file);

// Appends `line` plus '\n' in one write and fsyncs the file. Creates the file
// with mode 0600 if needed (and then syncs its folder). If the file does not
// end in '\n' (a torn earlier write), a '\n' goes first so the new line
// stays whole.
[[nodiscard]] Result<void> append_line_durably(const std::filesystem::path& file,
                                               std::string_view line);

// The text of an OS error number, for messages.
std::string os_error_text(int error_number);

}  // namespace es
