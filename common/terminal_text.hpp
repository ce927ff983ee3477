#pragma once
// The engine's lines on the console. The session log keeps them byte for
// byte; the console, when it is a file, a pipe or a terminal that does not
// understand them (TERM=dumb), gets them without terminal escape codes: a
// colour code read as text is noise, and a stray cursor move or title
// change can hide what came before it. Pure; portable.

#include <string>
#include <string_view>

namespace es {

// Appends `line` to `out` without its escape sequences (CSI `ESC [ … final`,
// OSC `ESC ] … BEL` or `ESC ] … ESC \`, and `ESC` with its intermediates
// and final byte, like `ESC ( B`) and without
// other control characters but the tab. Bytes from 0x80 up (UTF-8) pass.
void append_without_escapes(std::string& out, std::string_view line);

// Whether the console stream `fd` is a terminal that understands escape
// codes: a terminal, and (POSIX) a TERM that is set and not "dumb".
bool console_understands_escapes(int fd);

}  // namespace es
