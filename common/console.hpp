#pragma once
// Console output that can never block the caller.
//
// The supervisor echoes the engine's output while the engine runs; if the
// console is slow, or is a pipe nobody reads, a blocking write would stall
// the event loop and, through a full pipe, the engine itself. Lines are
// queued (bounded) and written by one background thread. When the queue is
// full, lines are dropped and counted, and the console is told how many it
// missed as soon as it catches up. The log file, not the console, is the
// complete record.
//
// Thread-safe. The writer thread lives for the whole process and is never
// joined: at exit, flush() waits a bounded time, then the process may end
// with the thread still blocked in write().

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace es {

enum class ConsoleStream { kOut = 1, kErr = 2 };

// Queues `text` (which should end in '\n') for the stream. Never blocks on
// the console.
void console_write(ConsoleStream stream, std::string text);

// A console that goes away (`run | head`, a closed terminal) never stops a
// run or a restore: on POSIX, SIGPIPE is ignored, and a failed write only
// loses that text. Call first thing in main(). The engine gets the default
// back (engine_process_posix.cpp resets every signal in the child).
void survive_console_loss();

// Waits up to `limit` for queued text to reach the console. Returns false if
// it had to give up.
bool console_flush(std::chrono::milliseconds limit);

// Lines dropped so far because the console could not keep up.
std::uint64_t console_dropped_lines();

// Bytes the queue holds before it drops lines (tests shrink it).
void set_console_queue_limit(std::size_t bytes);

}  // namespace es
