#pragma once
// UTC time in the two spellings the supervisor writes: the compact stamp in
// backup names (20260422T142300Z) and ISO 8601 in JSON (2026-04-22T14:23:00Z).
// Pure functions; thread-safe.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace es {

using Clock = std::chrono::system_clock;

std::string compact_stamp(Clock::time_point when);   // YYYYMMDDTHHMMSSZ
std::string iso8601_utc(Clock::time_point when);     // YYYY-MM-DDTHH:MM:SSZ

// Parses YYYYMMDDTHHMMSSZ exactly; anything else (wrong length, a bad month,
// trailing text, a time Clock cannot represent, such as year 9999) is nullopt.
std::optional<Clock::time_point> parse_compact_stamp(std::string_view text);

// Parses YYYY-MM-DDTHH:MM:SSZ exactly, with the same limits.
std::optional<Clock::time_point> parse_iso8601_utc(std::string_view text);

}  // namespace es
