#include "common/shell_command.hpp"

#include "common/os_info.hpp"

namespace es {

namespace {

constexpr std::string_view kAlphanumeric =
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

// Characters each shell takes literally in a bare word, wherever they stand.
// PowerShell's set is smaller: `,` builds an array, `@` splats, `=` and `+`
// may start an expression, `%` is an alias; `\` is only a character there.
bool bare_word(std::string_view argument, ShellStyle style) {
  if (argument.empty()) return false;
  for (char c : argument) {
    const bool plain = kAlphanumeric.find(c) != std::string_view::npos ||
                       std::string_view(style == ShellStyle::kPosix ? "_-./=:,+@%" : "_-./\\:")
                               .find(c) != std::string_view::npos;
    if (!plain) return false;
  }
  return true;
}

// PowerShell reads U+2018..U+201B (‘ ’ ‚ ‛, which word processors and chat
// tools substitute for ') as single quotes too, so each of them ends a
// single-quoted string unless doubled, like '.
std::size_t powershell_quote_length(std::string_view text, std::size_t at) {
  if (text[at] == '\'') return 1;
  if (text.substr(at, 2) == "\xE2\x80" && at + 2 < text.size()) {
    const auto third = static_cast<unsigned char>(text[at + 2]);
    if (third >= 0x98 && third <= 0x9B) return 3;
  }
  return 0;
}

}  // namespace

std::string quote_argument(std::string_view argument, ShellStyle style) {
  if (bare_word(argument, style)) return std::string(argument);
  std::string quoted = "'";
  for (std::size_t at = 0; at < argument.size();) {
    if (style == ShellStyle::kPosix) {
      // A POSIX single-quoted string cannot hold ': close it, add an
      // escaped one, and open it again.
      if (argument[at] == '\'') {
        quoted += "'\\''";
      } else {
        quoted += argument[at];
      }
      ++at;
      continue;
    }
    if (const auto length = powershell_quote_length(argument, at); length > 0) {
      quoted.append(argument.substr(at, length)).append(argument.substr(at, length));
      at += length;
    } else {
      quoted += argument[at++];
    }
  }
  return quoted + "'";
}

std::string command_prefix(const std::filesystem::path& executable, ShellStyle style) {
  if (style == ShellStyle::kPosix) return quote_argument(executable.string(), style);
  // Quoted even when bare would do: `& 'C:\…\engine-supervisor.exe'` is the
  // form PowerShell users know, and it stays right whatever the path holds.
  const auto word = quote_argument(executable.string(), style);
  return "& " + (word.front() == '\'' ? word : "'" + word + "'");
}

std::string shell_quote(std::string_view argument) {
  return quote_argument(argument, operator_shell_style());
}

std::string supervisor_command(std::string_view arguments) {
  auto executable = executable_path();
  if (executable.empty()) executable = "engine-supervisor";
  return command_prefix(executable, operator_shell_style()) + " " + std::string(arguments);
}

}  // namespace es
