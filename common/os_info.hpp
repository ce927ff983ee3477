#pragma once
// Facts about the running process, portably: its id, its executable, whether
// a standard stream is a terminal. One implementation per OS.

#include <filesystem>
#include <string>
#include <vector>

#include "common/shell_command.hpp"

namespace es {

long current_process_id();

// Hands the allocator's free memory back to the OS: called once the
// startup steps are done, so the supervisor idles at the size the watch
// needs, not at the peak of the gate (its page cache) and the copy (the
// threads' arenas). glibc keeps freed memory for reuse otherwise.
void release_free_memory();

// True if a process with this id exists (it may belong to another user).
bool process_exists(long pid);

// The running executable's own absolute path, as the OS knows it (not
// argv[0], which may be relative or a bare name found on PATH): for finding
// a config beside it, and for the commands printed for an operator to paste.
// Empty if the OS cannot say.
std::filesystem::path executable_path();

// Where the program `name` is found on PATH, as a child started with argv[0]
// `name` would find it (Windows: `name.exe`); empty when it is not.
std::filesystem::path find_on_path(const std::string& name);

// The shell an operator of this platform pastes commands into: sh on POSIX,
// PowerShell on Windows (cmd.exe is legacy there; PowerShell is the default
// terminal's shell).
ShellStyle operator_shell_style();

// True if standard output (fd 1) or standard error (fd 2) is a terminal.
bool stream_is_terminal(int fd);

// The command line as UTF-8 (Windows hands main() the ANSI code page; the
// wide command line is converted instead). Also sets the console to UTF-8.
std::vector<std::string> utf8_arguments(int argc, char** argv);

// True if the console (terminal window) this process runs in is its own: it
// was opened for us (a desktop shortcut) and closes when we exit. POSIX: we
// lead our session (a terminal emulator ran us directly). Windows: we are the
// only process left attached to the console.
bool console_is_own();

}  // namespace es
