#pragma once
// Command lines an operator can paste. A failure message ends with the
// command that gets out of it (restore this backup, run with
// --accept-data-loss); pasted as printed, that command must run this same
// binary with these same arguments in the shell the platform's operators
// use: sh on POSIX, PowerShell on Windows. So it names the running
// executable by its absolute path (argv[0] may be relative to a folder the
// operator has left, and a bare name needs PATH to hold it), and quotes
// every word for that shell.
// Pure functions, except supervisor_command and shell_quote, which ask the OS
// which executable runs and which shell it uses (os_info.hpp). Thread-safe.

#include <filesystem>
#include <string>
#include <string_view>

namespace es {

enum class ShellStyle {
  kPosix,       // sh, bash, zsh: '…', with each ' written '\''
  kPowerShell,  // Windows PowerShell and pwsh: '…', with each single quote doubled
};

// `argument` as one word of `style`'s shell, left bare only when every
// character is one the shell passes through as it is. Never expands
// anything: $, `, ~, * and the like end up quoted.
std::string quote_argument(std::string_view argument, ShellStyle style);

// The start of a command line that runs `executable`, quoted where sh needs
// it, and always quoted for PowerShell, behind the call operator: without
// `& `, a quoted path is a string that PowerShell prints, not runs.
std::string command_prefix(const std::filesystem::path& executable, ShellStyle style);

// quote_argument in the running platform's style.
std::string shell_quote(std::string_view argument);

// "<this executable> <arguments>", to paste into the running platform's
// shell. `arguments` must already be quoted (with shell_quote). Falls back to
// the bare name engine-supervisor if the OS cannot say which executable runs.
std::string supervisor_command(std::string_view arguments);

}  // namespace es
