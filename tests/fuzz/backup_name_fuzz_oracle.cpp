#include "fuzz/backup_name_fuzz_oracle.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>

#include "torture/backup_name_oracle.hpp"

namespace es::fuzz {
namespace {

using Violation = std::optional<std::string>;

// Bytes outside printable ASCII as \xNN, so a message shows the exact name.
std::string printable(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte < 0x7f && byte != '\\') {
      out += c;
    } else {
      out += "\\x";
      out += kHex[byte >> 4];
      out += kHex[byte & 0xf];
    }
  }
  return out;
}

std::string describe(const BackupName& name) {
  return std::string(to_string(name.kind)) + " " + compact_stamp(name.stamp) + " sequence " +
         std::to_string(name.sequence);
}

bool same(const BackupName& a, const BackupName& b) {
  return a.kind == b.kind && a.stamp == b.stamp && a.sequence == b.sequence;
}

// Accepted names spell themselves: format(parse(name)) == name.
Violation accepted_violation(std::string_view db, std::string_view candidate,
                             const BackupName& parsed, const BackupNameCodec& codec) {
  const std::string formatted = codec.format(db, parsed);
  if (formatted != candidate) {
    return "accepted '" + printable(candidate) + "' for DB '" + printable(db) +
           "', which formats back as '" + printable(formatted) + "'";
  }
  if (!candidate.starts_with(std::string(db) + ".")) {
    return "accepted '" + printable(candidate) + "', which does not start with '" + printable(db) +
           ".'";
  }
  return std::nullopt;
}

// The parser and the regex oracle agree on every name.
Violation oracle_violation(std::string_view db, std::string_view candidate,
                           const std::optional<BackupName>& parsed) {
  const auto expected = torture::oracle_parse(candidate, db);
  const std::string name = "'" + printable(candidate) + "' for DB '" + printable(db) + "'";
  if (parsed.has_value() != expected.has_value()) {
    return (parsed ? "accepted " : "rejected ") + name + ", which the documented pattern " +
           (expected ? "accepts" : "rejects");
  }
  if (parsed &&
      (to_string(parsed->kind) != expected->kind ||
       compact_stamp(parsed->stamp) != expected->stamp || parsed->sequence != expected->sequence)) {
    return "read " + name + " as " + describe(*parsed) + ", the documented pattern as " +
           expected->kind + " " + expected->stamp + " sequence " +
           std::to_string(expected->sequence);
  }
  return std::nullopt;
}

// A BackupName from the input's last 13 bytes: the kind, a second the clock
// can hold (time_stamp.hpp), a sequence 1..999999 (the six digits the name
// allows).
BackupName name_from_bytes(std::string_view input) {
  unsigned char bytes[13] = {};
  const std::size_t count = std::min(input.size(), sizeof bytes);
  for (std::size_t i = 0; i < count; ++i) {
    bytes[i] = static_cast<unsigned char>(input[input.size() - count + i]);
  }
  std::uint64_t stamp_bits = 0;
  for (int i = 1; i <= 8; ++i) stamp_bits = (stamp_bits << 8) | bytes[i];
  std::uint32_t sequence_bits = 0;
  for (int i = 9; i <= 12; ++i) sequence_bits = (sequence_bits << 8) | bytes[i];

  using std::chrono::seconds;
  constexpr auto kEarliest = std::chrono::duration_cast<seconds>(Clock::duration::min()).count();
  constexpr auto kLatest = std::chrono::duration_cast<seconds>(Clock::duration::max()).count();
  constexpr auto kSpan = static_cast<std::uint64_t>(kLatest - kEarliest) + 1;
  const auto since_epoch = kEarliest + static_cast<std::int64_t>(stamp_bits % kSpan);

  constexpr BackupKind kKinds[] = {BackupKind::kPreSession, BackupKind::kPostSession,
                                   BackupKind::kManual, BackupKind::kLive};
  return BackupName{kKinds[bytes[0] % 4], Clock::time_point(seconds(since_epoch)),
                    static_cast<int>(1 + sequence_bits % 999999)};
}

Violation round_trip_violation(std::string_view db, const BackupName& name,
                               const BackupNameCodec& codec) {
  const std::string formatted = codec.format(db, name);
  const auto parsed = codec.parse(formatted, db);
  if (!parsed || !same(*parsed, name)) {
    return "formatted " + describe(name) + " for DB '" + printable(db) + "' as '" +
           printable(formatted) + "', which parses " +
           (parsed ? "as " + describe(*parsed) : std::string("as no backup name"));
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> backup_name_violation(std::string_view input,
                                                 const BackupNameCodec& codec) {
  const auto newline = input.find('\n');
  const std::string_view db =
      newline == std::string_view::npos ? kFuzzDbFileName : input.substr(0, newline);
  const std::string_view candidate =
      newline == std::string_view::npos ? input : input.substr(newline + 1);
  try {
    const auto parsed = codec.parse(candidate, db);
    if (parsed) {
      if (auto violation = accepted_violation(db, candidate, *parsed, codec)) return violation;
    }
    if (auto violation = oracle_violation(db, candidate, parsed)) return violation;
    // An empty DB file name has no backups: nothing to round-trip.
    if (db.empty()) return std::nullopt;
    return round_trip_violation(db, name_from_bytes(input), codec);
  } catch (const std::exception& e) {
    return std::string("threw: ") + e.what();
  } catch (...) {
    return std::string("threw something that is not a std::exception");
  }
}

}  // namespace es::fuzz
