#include "common/backup_name.hpp"

#include <charconv>

namespace es {

std::string_view to_string(BackupKind kind) {
  switch (kind) {
    case BackupKind::kPreSession: return "bak";
    case BackupKind::kPostSession: return "post";
    case BackupKind::kManual: return "manual";
    case BackupKind::kLive: return "live";
  }
  return "manual";
}

std::optional<BackupKind> backup_kind_from_string(std::string_view text) {
  for (auto kind : {BackupKind::kPreSession, BackupKind::kPostSession, BackupKind::kManual,
                    BackupKind::kLive}) {
    if (text == to_string(kind)) return kind;
  }
  return std::nullopt;
}

bool BackupName::newer_than(const BackupName& other) const {
  if (stamp != other.stamp) return stamp > other.stamp;
  return sequence > other.sequence;
}

std::string format_backup_name(std::string_view db_file_name, const BackupName& name) {
  std::string result = std::string(db_file_name) + "." + std::string(to_string(name.kind)) + "." +
                       compact_stamp(name.stamp);
  if (name.sequence > 1) result += "-" + std::to_string(name.sequence);
  return result;
}

std::optional<BackupName> parse_backup_name(std::string_view file_name,
                                            std::string_view db_file_name) {
  if (db_file_name.empty() || file_name.size() <= db_file_name.size() + 1) return std::nullopt;
  if (file_name.substr(0, db_file_name.size()) != db_file_name) return std::nullopt;
  std::string_view rest = file_name.substr(db_file_name.size());
  if (rest.front() != '.') return std::nullopt;
  rest.remove_prefix(1);

  const auto dot = rest.find('.');
  if (dot == std::string_view::npos) return std::nullopt;
  const auto kind = backup_kind_from_string(rest.substr(0, dot));
  if (!kind) return std::nullopt;
  rest.remove_prefix(dot + 1);

  constexpr std::size_t kStampLength = 16;  // YYYYMMDDTHHMMSSZ
  if (rest.size() < kStampLength) return std::nullopt;
  const auto stamp = parse_compact_stamp(rest.substr(0, kStampLength));
  if (!stamp) return std::nullopt;
  rest.remove_prefix(kStampLength);

  BackupName name{*kind, *stamp, 1};
  if (rest.empty()) return name;
  // "-N" with N >= 2, digits only, no leading zero: the only suffix we write.
  if (rest.front() != '-' || rest.size() < 2 || rest[1] == '0' || rest.size() > 7) {
    return std::nullopt;
  }
  rest.remove_prefix(1);
  int sequence = 0;
  const auto [end, error] = std::from_chars(rest.data(), rest.data() + rest.size(), sequence);
  if (error != std::errc() || end != rest.data() + rest.size() || sequence < 2) return std::nullopt;
  name.sequence = sequence;
  return name;
}

}  // namespace es
