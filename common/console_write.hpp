#pragma once
// Writes all of `text` to a standard stream (1 or 2), blocking until done or
// the stream fails. Only the console writer thread calls this. One
// implementation per OS.

#include <string_view>

namespace es {
void write_to_stream(int fd, std::string_view text);
}
