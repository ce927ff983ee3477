#pragma once
// An independent statement of which file names are this DB's backups, for
// checking retention against: written from the documented pattern
// (docs/operations.md, "Names"), never from parse_backup_name().
//
//   <db file name>.<kind>.<UTC YYYYMMDDTHHMMSSZ>[-N]
//
// kind is bak, post or manual; the stamp is a real calendar second
// (proleptic Gregorian, 00:00:00..23:59:59, no leap second) that the
// system clock can hold (1677-09-21T00:12:44Z..2262-04-11T23:47:16Z with
// 64-bit nanoseconds: no supervisor ever wrote a stamp outside it); N, when
// present, has no leading zero and is 2..999999 (the first backup in a
// second has no suffix, and backup_name.cpp accepts at most six digits).
// Pure functions; thread-safe.

#include <optional>
#include <string>
#include <string_view>

namespace es::torture {

struct OracleName {
  std::string kind;
  std::string stamp;  // YYYYMMDDTHHMMSSZ: its text order is its time order
  long sequence = 1;

  // Newer first: by stamp, then by sequence.
  bool newer_than(const OracleName& other) const {
    return stamp != other.stamp ? stamp > other.stamp : sequence > other.sequence;
  }
};

std::optional<OracleName> oracle_parse(std::string_view file_name, std::string_view db_file_name);

}  // namespace es::torture
