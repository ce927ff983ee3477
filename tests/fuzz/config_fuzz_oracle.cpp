#include "fuzz/config_fuzz_oracle.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <map>
#include <set>
#include <sstream>
#include <vector>

#include "common/yaml_documents.hpp"

namespace es::fuzz {
namespace {

using Violation = std::optional<std::string>;

// The documented file (docs/configuration.md): its sections and their keys.
struct Section {
  std::string_view name;
  std::vector<std::string_view> keys;
};

const std::vector<Section>& known_sections() {
  static const std::vector<Section> kSections{
      {"database",
       {"path", "backup_dir", "allow_missing", "require_local_filesystem",
        "refuse_if_open_elsewhere", "on_change_between_sessions"}},
      {"db_safeguards",
       {"pre_session_backup_enabled", "post_session_backup_enabled", "backup_retention_count",
        "backup_keep_daily", "backup_keep_weekly", "integrity_check_on_startup",
        "integrity_check_mode", "in_session_backup_minutes"}},
      {"engine",
       {"command", "working_dir", "env", "stop_signal", "stop_grace_seconds", "clean_exit_codes",
        "error_patterns", "clean_stop_signals"}},
      {"summary", {"dir"}},
      {"logging", {"dir", "level", "keep_sessions", "max_session_log_mb"}},
      {"metrics", {"textfile"}},
      {"notify", {"command", "on", "timeout_seconds"}},
      {"offsite",
       {"restic_repository", "password_file", "kinds", "keep_last", "keep_daily", "wait_seconds",
        "restic"}},
      {"ui", {"pause_on_exit", "console"}},
  };
  return kSections;
}

// A single-valued key, its documented default, and where the Config keeps it.
enum class Kind { kBool, kWholeNumber, kDecimal, kText };
struct ScalarKey {
  std::string_view section;
  std::string_view key;
  Kind kind;
  std::string_view fallback;
  std::string (*value)(const Config&);
};

std::string text(bool value) { return value ? "true" : "false"; }
std::string text(double value) {
  std::ostringstream out;
  out << value;
  return out.str();
}

const std::vector<ScalarKey>& scalar_keys() {
  static const std::vector<ScalarKey> kKeys{
      {"database", "allow_missing", Kind::kBool, "false",
       [](const Config& c) { return text(c.database.allow_missing); }},
      {"database", "require_local_filesystem", Kind::kBool, "true",
       [](const Config& c) { return text(c.database.require_local_filesystem); }},
      {"database", "refuse_if_open_elsewhere", Kind::kBool, "true",
       [](const Config& c) { return text(c.database.refuse_if_open_elsewhere); }},
      {"database", "on_change_between_sessions", Kind::kText, "refuse",
       [](const Config& c) {
         return std::string(to_string(c.database.on_change_between_sessions));
       }},
      {"db_safeguards", "pre_session_backup_enabled", Kind::kBool, "true",
       [](const Config& c) { return text(c.db_safeguards.pre_session_backup_enabled); }},
      {"db_safeguards", "post_session_backup_enabled", Kind::kBool, "true",
       [](const Config& c) { return text(c.db_safeguards.post_session_backup_enabled); }},
      {"db_safeguards", "backup_retention_count", Kind::kWholeNumber, "10",
       [](const Config& c) { return std::to_string(c.db_safeguards.backup_retention_count); }},
      {"db_safeguards", "backup_keep_daily", Kind::kWholeNumber, "7",
       [](const Config& c) { return std::to_string(c.db_safeguards.backup_keep_daily); }},
      {"db_safeguards", "backup_keep_weekly", Kind::kWholeNumber, "4",
       [](const Config& c) { return std::to_string(c.db_safeguards.backup_keep_weekly); }},
      {"db_safeguards", "integrity_check_on_startup", Kind::kBool, "true",
       [](const Config& c) { return text(c.db_safeguards.integrity_check_on_startup); }},
      {"db_safeguards", "integrity_check_mode", Kind::kText, "full",
       [](const Config& c) {
         return std::string(to_string(c.db_safeguards.integrity_check_mode));
       }},
      {"db_safeguards", "in_session_backup_minutes", Kind::kDecimal, "0",
       [](const Config& c) { return text(c.db_safeguards.in_session_backup_minutes); }},
      {"engine", "stop_signal", Kind::kText, "SIGINT",
       [](const Config& c) { return c.engine.stop_signal; }},
      {"engine", "stop_grace_seconds", Kind::kWholeNumber, "30",
       [](const Config& c) { return std::to_string(c.engine.stop_grace_seconds); }},
      {"logging", "level", Kind::kText, "info", [](const Config& c) { return c.logging_level; }},
      {"logging", "keep_sessions", Kind::kWholeNumber, "100",
       [](const Config& c) { return std::to_string(c.logging_keep_sessions); }},
      {"logging", "max_session_log_mb", Kind::kWholeNumber, "1024",
       [](const Config& c) { return std::to_string(c.logging_max_session_log_mb); }},
      {"notify", "timeout_seconds", Kind::kWholeNumber, "30",
       [](const Config& c) { return std::to_string(c.notify.timeout_seconds); }},
      {"ui", "pause_on_exit", Kind::kText, "auto",
       [](const Config& c) { return std::string(to_string(c.pause_on_exit)); }},
      {"ui", "console", Kind::kText, "auto",
       [](const Config& c) { return std::string(to_string(c.console_mode)); }},
  };
  return kKeys;
}

// How many lines the input has, counting every break yaml-cpp may count
// ("\n", "\r\n" and a lone "\r"), so an upper bound.
long line_count(std::string_view text) {
  long lines = 1;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n' || (text[i] == '\r' && (i + 1 == text.size() || text[i + 1] != '\n'))) {
      ++lines;
    }
  }
  return lines;
}

Violation error_violation(const Error& error, std::string_view yaml_text) {
  if (error.exit_code != ExitCode::kConfigInvalid) {
    return "rejected with exit code " + std::to_string(to_int(error.exit_code)) +
           ", not 78: " + error.message;
  }
  const std::string prefix = "config error in " + kFuzzConfigSource.string() + " line ";
  if (!error.message.starts_with(prefix)) {
    return "the error does not start with '" + prefix + "N': " + error.message;
  }
  const char* digits = error.message.data() + prefix.size();
  long line = 0;
  const auto [end, failure] =
      std::from_chars(digits, error.message.data() + error.message.size(), line);
  if (failure != std::errc() || end == digits) {
    return "the error names no line number: " + error.message;
  }
  if (line < 1 || line > line_count(yaml_text)) {
    return "the error names line " + std::to_string(line) + " of an input of " +
           std::to_string(line_count(yaml_text)) + " lines: " + error.message;
  }
  return std::nullopt;
}

// map[key], or an undefined node when `map` is no mapping (yaml-cpp throws
// on a subscript of a missing node or a scalar).
YAML::Node lookup(const YAML::Node& map, std::string_view key) {
  if (!map.IsDefined() || !map.IsMap()) return YAML::Node(YAML::NodeType::Undefined);
  return map[std::string(key)];
}

std::string where(std::string_view section, std::string_view key) {
  return section.empty() ? std::string(key) : std::string(section) + "." + std::string(key);
}

// Every key of `map` is a single value, one of `known` (any, if empty), and
// there once.
Violation keys_violation(const YAML::Node& map, std::string_view section,
                         const std::vector<std::string_view>& known) {
  std::set<std::string> seen;
  for (const auto& entry : map) {
    if (!entry.first.IsScalar()) {
      return "accepted a key that is not a single value in '" + std::string(section) + "'";
    }
    const std::string& name = entry.first.Scalar();
    if (!known.empty() && std::find(known.begin(), known.end(), name) == known.end()) {
      return "accepted the unknown key '" + where(section, name) + "'";
    }
    if (!seen.insert(name).second) {
      return "accepted the key '" + where(section, name) + "' twice: one value is ignored";
    }
  }
  return std::nullopt;
}

// A decimal whole number as the docs describe it; leading blanks and a sign
// are tolerated.
std::optional<long long> whole_number(const std::string& text) {
  std::size_t at = text.find_first_not_of(" \t\n\r\f\v");
  if (at == std::string::npos) return std::nullopt;
  if (text[at] == '+' && at + 1 < text.size() && text[at + 1] != '-') ++at;
  long long value = 0;
  const auto [end, failure] = std::from_chars(text.data() + at, text.data() + text.size(), value);
  if (failure != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// What the document says a scalar key is, in the Config's spelling.
std::optional<std::string> written_value(const YAML::Node& node, Kind kind) {
  switch (kind) {
    case Kind::kBool: {
      bool value = false;
      if (!YAML::convert<bool>::decode(node, value)) return std::nullopt;
      return text(value);
    }
    case Kind::kWholeNumber: {
      const auto value = whole_number(node.Scalar());
      if (!value) return std::nullopt;
      return std::to_string(*value);
    }
    case Kind::kDecimal: {
      const std::string& written = node.Scalar();
      char* end = nullptr;
      const double value = std::strtod(written.c_str(), &end);
      if (written.empty() || end != written.c_str() + written.size()) return std::nullopt;
      return text(value);
    }
    case Kind::kText:
      return node.Scalar();
  }
  return std::nullopt;
}

Violation scalar_violation(const YAML::Node& root, const Config& config, const ScalarKey& key) {
  const YAML::Node node = lookup(lookup(root, key.section), key.key);
  const std::string got = key.value(config);
  const std::string name = where(key.section, key.key);
  if (!node.IsDefined()) {
    if (got == key.fallback) return std::nullopt;
    return "left out, '" + name + "' is " + got + ", not its default " + std::string(key.fallback);
  }
  if (!node.IsScalar()) return "accepted '" + name + "' that is not a single value";
  const auto written = written_value(node, key.kind);
  if (!written) return "accepted '" + node.Scalar() + "' for '" + name + "'";
  if (*written != got) {
    return "'" + name + "' is written " + node.Scalar() + " but the config holds " + got;
  }
  return std::nullopt;
}

// The lists and maps of the engine section: what is written is what is held.
Violation engine_violation(const YAML::Node& engine, const Config& config) {
  const auto& e = config.engine;
  const YAML::Node command = lookup(engine, "command");
  if (command.IsDefined()) {
    if (!command.IsSequence() || command.size() == 0 || command.size() != e.command.size()) {
      return std::string("engine.command is not the written list");
    }
    for (std::size_t i = 0; i < command.size(); ++i) {
      if (!command[i].IsScalar()) return "accepted engine.command[" + std::to_string(i) + "]";
      // The program resolves against the file's folder when it has a folder part.
      const std::string& arg = command[i].Scalar();
      const bool resolved = i == 0 && arg.find_first_of("/\\") != std::string::npos;
      if (resolved ? !std::filesystem::path(e.command[i]).is_absolute() : e.command[i] != arg) {
        return "engine.command[" + std::to_string(i) + "] is written '" + arg +
               "' but the config holds '" + e.command[i] + "'";
      }
    }
  } else if (!e.command.empty()) {
    return std::string("engine.command is not written but the config holds one");
  }

  const YAML::Node codes = lookup(engine, "clean_exit_codes");
  std::vector<int> written_codes{0};
  if (codes.IsDefined()) {
    if (!codes.IsSequence()) return std::string("accepted engine.clean_exit_codes as a non-list");
    written_codes.clear();
    for (const auto& code : codes) {
      const auto value = code.IsScalar() ? whole_number(code.Scalar()) : std::nullopt;
      if (!value || *value < 0 || *value > 255) {
        return std::string("accepted an item of engine.clean_exit_codes that is not 0..255");
      }
      written_codes.push_back(static_cast<int>(*value));
    }
  }
  if (written_codes != e.clean_exit_codes) {
    return std::string("engine.clean_exit_codes is not the written list");
  }

  const YAML::Node env = lookup(engine, "env");
  std::map<std::string, std::string> written_env;
  if (env.IsDefined()) {
    if (!env.IsMap()) return std::string("accepted engine.env that is not a mapping");
    if (auto violation = keys_violation(env, "engine.env", {})) return violation;
    for (const auto& entry : env) {
      if (!entry.second.IsScalar()) {
        return "accepted engine.env." + entry.first.Scalar() + " that is not a single value";
      }
      written_env[entry.first.Scalar()] = entry.second.Scalar();
    }
  }
  if (written_env != e.env) return std::string("engine.env is not the written mapping");
  return std::nullopt;
}

// The document, read on its own, says exactly what the Config holds.
Violation document_violation(std::string_view yaml_text, const Config& config) {
  YAML::Node root;
  try {
    // Not YAML::LoadAll: it never returns on some broken inputs.
    const auto documents = yaml_document_starts(yaml_text, 2);
    if (documents.size() != 1) {
      return "accepted " + std::to_string(documents.size()) +
             " YAML documents, of which only one is read";
    }
    root = YAML::Load(std::string(yaml_text));
  } catch (const YAML::Exception& e) {
    return std::string("accepted an input yaml-cpp cannot read: ") + e.what();
  }
  if (!root.IsMap()) return std::string("accepted a top level that is not a mapping");

  std::vector<std::string_view> section_names;
  for (const auto& section : known_sections()) section_names.push_back(section.name);
  section_names.push_back("db_checks");  // a list of checks, not a mapping
  if (auto violation = keys_violation(root, "", section_names)) return violation;
  for (const auto& section : known_sections()) {
    const YAML::Node node = lookup(root, section.name);
    if (!node.IsDefined()) continue;
    if (!node.IsMap()) return "accepted section '" + std::string(section.name) + "' as a non-map";
    if (auto violation = keys_violation(node, section.name, section.keys)) return violation;
  }

  const YAML::Node path = lookup(lookup(root, "database"), "path");
  if (!path.IsDefined()) return std::string("accepted a config without database.path");
  if (!path.IsScalar() || path.Scalar().empty() ||
      path.Scalar() != config.database.path_as_configured) {
    return "database.path is written '" + (path.IsScalar() ? path.Scalar() : "") +
           "' but the config holds '" + config.database.path_as_configured + "'";
  }
  for (const auto& folder : {config.database.path, config.database.backup_dir,
                             config.engine.working_dir, config.summary_dir, config.logging_dir}) {
    if (!folder.is_absolute()) return "the config holds the relative path " + folder.string();
  }
  for (const auto& key : scalar_keys()) {
    if (auto violation = scalar_violation(root, config, key)) return violation;
  }
  return engine_violation(lookup(root, "engine"), config);
}

// render_config() is a faithful picture: parsed again, it is the same config.
Violation round_trip_violation(const Config& config, const ConfigLoader& loader) {
  const std::string rendered = loader.render(config);
  auto again = loader.parse(rendered, kFuzzConfigSource);
  if (!again) {
    return "render_config's output is rejected: " + again.error().message + "\n--- rendered:\n" +
           rendered;
  }
  // Only the spelling of database.path may differ: it is absolute now.
  Config expected = config;
  expected.database.path_as_configured = again->database.path_as_configured;
  const std::string rendered_again = loader.render(*again);
  if (!(*again == expected) || rendered_again != rendered) {
    return "render_config's output parses to another config\n--- rendered:\n" + rendered +
           "--- parsed and rendered again:\n" + rendered_again;
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> config_violation(std::string_view yaml_text,
                                            const ConfigLoader& loader) {
  try {
    const auto result = loader.parse(yaml_text, kFuzzConfigSource);
    if (!result) return error_violation(result.error(), yaml_text);
    if (auto violation = document_violation(yaml_text, *result)) return violation;
    return round_trip_violation(*result, loader);
  } catch (const std::exception& e) {
    return std::string("threw: ") + e.what();
  } catch (...) {
    return std::string("threw something that is not a std::exception");
  }
}

}  // namespace es::fuzz
