#pragma once
// Who owns what the supervisor makes for a DB.
//
// Root often runs the supervisor for a DB an operator's account owns: a
// systemd unit, a restore done with sudo. Files root makes 0600 for itself
// (the lock, the history, the logs, the summaries, backups) would then lock
// that account out of its own DB's supervisor (exit 74), and a restored DB
// owned by root would be read-only to its engine. So, when root works on a
// DB another account owns, every file and folder the supervisor creates is
// given to that account, and a restored DB keeps its owner, group and mode.
//
// POSIX only (file_owner_posix.cpp); Windows files inherit their folder's
// ACL, so there these are no-ops (file_owner_windows.cpp).
// Process-wide: set once, before any file is made; thread-safe to read.

#include <filesystem>
#include <optional>
#include <string>

namespace es {

// When this process is root and the DB (or, missing, its folder) belongs to
// another account: from now on, hand_over() gives created files to that
// account. Returns a line saying so, for the log; nullopt otherwise.
std::optional<std::string> give_created_files_to_db_owner(const std::filesystem::path& db);

// Gives `created`, just made by this process, to the DB's owner when
// give_created_files_to_db_owner() said so; never follows a symlink.
// Best effort: a failure leaves the file as it was.
void hand_over(const std::filesystem::path& created);

// Gives `to` the owner and group of `from` (as far as this process may:
// root any, another account only a group it is in). Best effort.
void copy_ownership(const std::filesystem::path& from, const std::filesystem::path& to);

}  // namespace es
