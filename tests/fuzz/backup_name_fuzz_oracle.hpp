#pragma once
// The invariants the backup-name fuzzer checks on every input.
//
// An input is "<db file name>\n<candidate file name>"; without a newline the
// whole input is the candidate for the DB live.db. Then:
//
//  - parse_backup_name never throws;
//  - when it accepts the candidate, format_backup_name gives the candidate
//    back byte for byte (no other spelling is taken for a backup), and the
//    candidate starts with "<db>.";
//  - it accepts exactly what the torture suite's regex oracle
//    (tests/torture/backup_name_oracle.hpp, written from the documented
//    pattern) accepts, with the same kind, stamp and sequence;
//  - a BackupName made from the input's last bytes (any kind, any second the
//    clock can hold, sequence 1..999999) formats to a name that parses back
//    to it.
//
// The codec is a parameter so the tests can hand it a broken one and see the
// oracle object. Pure functions; thread-safe.

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "common/backup_name.hpp"

namespace es::fuzz {

// The DB file name when the input names none.
inline constexpr std::string_view kFuzzDbFileName = "live.db";

struct BackupNameCodec {
  std::function<std::optional<BackupName>(std::string_view, std::string_view)> parse =
      parse_backup_name;
  std::function<std::string(std::string_view, const BackupName&)> format = format_backup_name;
};

// What `codec` did wrong with `input`, or nullopt when every invariant holds.
// Never throws.
[[nodiscard]] std::optional<std::string> backup_name_violation(std::string_view input,
                                                               const BackupNameCodec& codec = {});

}  // namespace es::fuzz
