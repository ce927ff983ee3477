#include "supervisor/offsite_ledger.hpp"

#include <nlohmann/json.hpp>

#include "common/atomic_file.hpp"
#include "common/json_text.hpp"
#include "common/session_summary.hpp"
#include "common/utf8_path.hpp"

namespace es {
namespace fs = std::filesystem;

fs::path OffsiteLedger::path_for(const fs::path& db) {
  return with_suffix(db, ".supervisor-offsite.json");
}

OffsiteLedger OffsiteLedger::read(const fs::path& db) {
  OffsiteLedger ledger;
  const auto text = read_summary(path_for(db));  // any JSON file as written; never a FIFO
  if (const auto at = text.find("pruned_at"); at != text.end() && at->is_string()) {
    ledger.pruned_at = parse_iso8601_utc(at->get<std::string>());
  }
  if (const auto names = text.find("forgotten"); names != text.end() && names->is_array()) {
    for (const auto& name : *names) {
      if (name.is_string()) ledger.forgotten.insert(name.get<std::string>());
    }
  }
  return ledger;
}

Result<void> OffsiteLedger::write(const fs::path& db, const fs::path& backup_dir) const {
  nlohmann::json text = {{"pruned_at", pruned_at ? nlohmann::json(iso8601_utc(*pruned_at)) : nullptr},
                         {"forgotten", nlohmann::json::array()}};
  for (const auto& name : forgotten) {
    std::error_code ec;
    if (fs::exists(fs::symlink_status(backup_dir / utf8_path(name), ec))) {
      text["forgotten"].push_back(name);
    }
  }
  return write_file_atomically(path_for(db), json_text(text, 2) + "\n");
}

}  // namespace es
