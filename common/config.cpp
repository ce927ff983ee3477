#include "common/config.hpp"
#include "common/backup_name.hpp"
#include "common/engine_errors.hpp"
#include "common/utf8_path.hpp"
#include "common/yaml_documents.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

namespace es {
namespace fs = std::filesystem;

std::string_view to_string(CheckMode mode) { return mode == CheckMode::kFull ? "full" : "quick"; }

std::string_view to_string(ConsoleMode mode) {
  switch (mode) {
    case ConsoleMode::kAuto: return "auto";
    case ConsoleMode::kViewer: return "viewer";
    case ConsoleMode::kNone: return "none";
  }
  return "auto";
}

std::string_view to_string(PauseOnExit pause) {
  switch (pause) {
    case PauseOnExit::kAuto: return "auto";
    case PauseOnExit::kAlways: return "always";
    case PauseOnExit::kNever: return "never";
  }
  return "auto";
}

std::string_view to_string(ChangePolicy policy) {
  return policy == ChangePolicy::kRefuse ? "refuse" : "warn";
}

const std::vector<std::string_view>& known_stop_signals() {
  static const std::vector<std::string_view> kSignals{"SIGINT",  "SIGTERM", "SIGHUP",
                                                      "SIGQUIT", "SIGUSR1", "SIGUSR2"};
  return kSignals;
}

const std::vector<std::string_view>& known_notify_events() {
  static const std::vector<std::string_view> kEvents{"unclean",      "aborted",
                                                     "refused",      "backup_failed",
                                                     "check_failed", "offsite_failed",
                                                     "warning"};
  return kEvents;
}

namespace {

// yaml-cpp reports problems by throwing; this adapter turns every one of them
// into a single Error at parse_config's boundary.
struct ConfigFault {
  std::string message;
};

// Whether `text` is UTF-8 that yaml-cpp's emitter writes back unchanged
// (`config show`): well-formed, shortest form, no surrogate, no code point
// past U+10FFFF and no noncharacter (U+FDD0..U+FDEF, U+xFFFE, U+xFFFF). The
// emitter writes U+FFFD for anything else, and a path would change.
bool is_unicode_text(std::string_view text) {
  for (std::size_t at = 0; at < text.size();) {
    const auto lead = static_cast<unsigned char>(text[at]);
    const std::size_t length = lead < 0x80   ? 1
                               : lead < 0xc2 ? 0
                               : lead < 0xe0 ? 2
                               : lead < 0xf0 ? 3
                               : lead < 0xf5 ? 4
                                             : 0;
    if (length == 0 || at + length > text.size()) return false;
    char32_t code = length == 1 ? lead : lead & (0x7f >> length);
    for (std::size_t i = 1; i < length; ++i) {
      const auto next = static_cast<unsigned char>(text[at + i]);
      if ((next & 0xc0) != 0x80) return false;
      code = (code << 6) | (next & 0x3f);
    }
    constexpr char32_t kShortest[] = {0, 0, 0x80, 0x800, 0x10000};
    if (code < kShortest[length] || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff) ||
        (code >= 0xfdd0 && code <= 0xfdef) || (code & 0xfffe) == 0xfffe) {
      return false;
    }
    at += length;
  }
  return true;
}

class Reader {
 public:
  Reader(fs::path source) : source_(std::move(source)), base_(source_.parent_path()) {
    if (base_.empty()) base_ = ".";
  }

  // Every error names a line: the node's own, or line 1 when yaml-cpp has no
  // mark for it (an empty file).
  static int line_of(const YAML::Mark& mark) { return mark.is_null() ? 1 : mark.line + 1; }

  [[noreturn]] void fail(const YAML::Mark& mark, std::string_view key, std::string_view what) const {
    std::ostringstream out;
    out << "config error in " << source_.string() << " line " << line_of(mark);
    if (!key.empty()) out << ", key '" << key << "'";
    out << ": " << what;
    throw ConfigFault{out.str()};
  }

  // Every key of `map` must be a plain name, given once, and one we know
  // (any name when `known` is empty): a typo or a second value is an error,
  // never ignored. yaml-cpp itself keeps both values of a repeated key and
  // reads the first.
  void require_known_keys(const YAML::Node& map, std::string_view section,
                          std::initializer_list<std::string_view> known) const {
    std::map<std::string, int> first_line;
    for (const auto& entry : map) {
      if (!entry.first.IsScalar()) fail(entry.first.Mark(), section, "a key must be a plain name");
      const std::string& name = entry.first.Scalar();
      if (known.size() != 0 && std::find(known.begin(), known.end(), name) == known.end()) {
        std::string allowed;
        for (auto k : known) allowed += (allowed.empty() ? "" : ", ") + std::string(k);
        fail(entry.first.Mark(), join(section, name), "unknown key (allowed here: " + allowed + ")");
      }
      const auto [first, inserted] = first_line.emplace(name, line_of(entry.first.Mark()));
      if (!inserted) {
        fail(entry.first.Mark(), join(section, name),
             "given twice (first on line " + std::to_string(first->second) + "); keep one");
      }
    }
  }

  YAML::Node section(const YAML::Node& root, std::string_view name, bool required) const {
    YAML::Node node = root[std::string(name)];
    if (!node.IsDefined()) {
      if (required) {
        fail(root.Mark(), name,
             "missing required section: the top level, which starts on this line, has no '" +
                 std::string(name) + ":'");
      }
      return node;
    }
    if (!node.IsMap()) fail(node.Mark(), name, "must be a mapping of keys");
    return node;
  }

  // A tag changes what a value means (!!binary is base64 to decode), and
  // nothing here decodes one: it would be taken as its raw text.
  void refuse_tag(const YAML::Node& node, std::string_view key) const {
    const std::string& tag = node.Tag();
    if (tag.empty() || tag == "?" || tag == "!" || tag == "tag:yaml.org,2002:str") return;
    fail(node.Mark(), key, "has the YAML tag '" + tag + "', which this file does not support: write the value as plain text");
  }

  // A path as written: no shell reads this file, so a leading ~ would be a
  // folder named "~".
  void refuse_home(const YAML::Node& node, std::string_view key) const {
    const std::string& text = node.Scalar();
    if (text == "~" || text.starts_with("~/") || text.starts_with("~\\")) {
      fail(node.Mark(), key, "starts with ~, which is not expanded here (no shell reads this "
                             "file): write the full path, or one relative to the config file");
    }
  }

  std::string get_path(const YAML::Node& map, std::string_view section, std::string_view key,
                       std::string fallback, bool required = false) const {
    auto text = get_string(map, section, key, std::move(fallback), required);
    if (auto node = scalar(map, section, key)) refuse_home(*node, join(section, key));
    return text;
  }

  std::optional<YAML::Node> scalar(const YAML::Node& map, std::string_view section,
                                   std::string_view key) const {
    if (!map.IsDefined()) return std::nullopt;
    YAML::Node node = map[std::string(key)];
    if (!node.IsDefined()) return std::nullopt;
    refuse_tag(node, join(section, key));
    if (node.IsNull()) fail(node.Mark(), join(section, key), "has no value");
    if (!node.IsScalar()) fail(node.Mark(), join(section, key), "must be a single value");
    return node;
  }

  bool get_bool(const YAML::Node& map, std::string_view section, std::string_view key,
                bool fallback) const {
    auto node = scalar(map, section, key);
    if (!node) return fallback;
    // YAML 1.2's booleans only: yaml-cpp also takes y, Y, yes, on and off,
    // where a typo or a stray letter would switch a safeguard.
    const std::string& text = node->Scalar();
    if (text == "true" || text == "True" || text == "TRUE") return true;
    if (text == "false" || text == "False" || text == "FALSE") return false;
    fail(node->Mark(), join(section, key), "must be true or false (got '" + text + "')");
  }

  int get_int(const YAML::Node& map, std::string_view section, std::string_view key, int fallback,
              int min, int max) const {
    auto node = scalar(map, section, key);
    if (!node) return fallback;
    return to_int(*node, join(section, key), min, max);
  }

  int to_int(const YAML::Node& node, const std::string& key, int min, int max) const {
    const std::string& text = node.Scalar();
    long long value = 0;
    std::size_t used = 0;
    // Digits, after a '-' at most: stoll alone also takes " 10" and "+10".
    const auto digits = text.starts_with('-') ? std::string_view(text).substr(1) : std::string_view(text);
    if (!digits.empty() && digits.size() <= 18 &&
        digits.find_first_not_of("0123456789") == std::string_view::npos) {
      value = std::stoll(text, &used);
    }
    if (used == 0 || used != text.size()) {
      fail(node.Mark(), key, "must be a whole number (got '" + text + "')");
    }
    if (value < min || value > max) {
      fail(node.Mark(), key,
           "must be between " + std::to_string(min) + " and " + std::to_string(max) + " (got " +
               text + ")");
    }
    return static_cast<int>(value);
  }

  // Digits with at most one '.', as in 1, 0.5 or 2.25: no sign, exponent,
  // "inf" or "nan", which stod would take.
  double get_decimal(const YAML::Node& map, std::string_view section, std::string_view key,
                     double fallback, double min, double max) const {
    auto node = scalar(map, section, key);
    if (!node) return fallback;
    const std::string& text = node->Scalar();
    const auto dot = text.find('.');
    const bool shaped = !text.empty() && text.size() <= 18 && text.front() != '.' &&
                        text.back() != '.' &&
                        text.find_first_not_of("0123456789.") == std::string::npos &&
                        (dot == std::string::npos || text.find('.', dot + 1) == std::string::npos);
    if (!shaped) fail(node->Mark(), join(section, key), "must be a number such as 5 or 0.5 (got '" + text + "')");
    const double value = std::stod(text);
    if (value < min || value > max) {
      fail(node->Mark(), join(section, key),
           "must be between " + std::to_string(static_cast<long long>(min)) + " and " +
               std::to_string(static_cast<long long>(max)) + " (got " + text + ")");
    }
    return value;
  }

  std::string get_string(const YAML::Node& map, std::string_view section, std::string_view key,
                         std::string fallback, bool required = false) const {
    auto node = scalar(map, section, key);
    if (!node) {
      if (required) {
        fail(map.Mark(), join(section, key),
             "missing required key: the section '" + std::string(section) +
                 "', which starts on this line, has no '" + std::string(key) + ":'");
      }
      return fallback;
    }
    if (node->Scalar().empty()) fail(node->Mark(), join(section, key), "must not be empty");
    return text(*node, join(section, key));
  }

  std::string get_choice(const YAML::Node& map, std::string_view section, std::string_view key,
                         std::string fallback, const std::vector<std::string_view>& choices) const {
    auto node = scalar(map, section, key);
    if (!node) return fallback;
    const std::string& text = node->Scalar();
    if (std::find(choices.begin(), choices.end(), text) == choices.end()) {
      std::string allowed;
      for (auto c : choices) allowed += (allowed.empty() ? "" : ", ") + std::string(c);
      fail(node->Mark(), join(section, key),
           "must be one of " + allowed + " (got '" + text + "')");
    }
    return text;
  }

  std::optional<YAML::Node> sequence(const YAML::Node& map, std::string_view section,
                                     std::string_view key, std::string_view example) const {
    if (!map.IsDefined()) return std::nullopt;
    YAML::Node node = map[std::string(key)];
    if (!node.IsDefined()) return std::nullopt;
    if (!node.IsSequence()) {
      fail(node.Mark(), join(section, key), "must be a list, like " + std::string(example));
    }
    return node;
  }

  fs::path resolve(const std::string& text) const {
    const fs::path path = utf8_path(text);
    return normal_absolute(path.is_absolute() ? path : base_ / path);
  }

  // A value that becomes a path, an argument or a variable: text the summary,
  // the logs and `config show` can carry unchanged.
  std::string text(const YAML::Node& node, std::string_view key) const {
    refuse_tag(node, key);
    if (!is_unicode_text(node.Scalar())) {
      fail(node.Mark(), key, "is not UTF-8 text (save the file as UTF-8)");
    }
    // The OS would cut the text there: a path, an argument or a variable
    // that silently ends early.
    if (node.Scalar().find('\0') != std::string::npos) {
      fail(node.Mark(), key,
           "holds a NUL character (\\0), which no path, argument or environment variable can "
           "carry");
    }
    return node.Scalar();
  }

  // "/srv/neo/." becomes "/srv/neo", not "/srv/neo/".
  static fs::path normal_absolute(const fs::path& path) {
    auto normal = fs::absolute(path).lexically_normal();
    if (!normal.has_filename() && normal.has_parent_path() && normal != normal.root_path()) {
      normal = normal.parent_path();
    }
    return normal;
  }

  static std::string join(std::string_view section, std::string_view key) {
    if (section.empty()) return std::string(key);
    return std::string(section) + "." + std::string(key);
  }

  const fs::path& base() const { return base_; }

 private:
  fs::path source_;
  fs::path base_;
};

void read_database(const Reader& r, const YAML::Node& root, Config& config) {
  const auto node = r.section(root, "database", true);
  r.require_known_keys(node, "database",
                       {"path", "backup_dir", "allow_missing", "require_local_filesystem",
                        "refuse_if_open_elsewhere", "on_change_between_sessions"});
  auto& db = config.database;
  db.path_as_configured = r.get_path(node, "database", "path", "", /*required=*/true);
  db.path = r.resolve(db.path_as_configured);
  const auto backup_dir = r.get_path(node, "database", "backup_dir", "");
  db.backup_dir = backup_dir.empty() ? db.path.parent_path() : r.resolve(backup_dir);
  db.allow_missing = r.get_bool(node, "database", "allow_missing", false);
  db.require_local_filesystem = r.get_bool(node, "database", "require_local_filesystem", true);
  db.refuse_if_open_elsewhere = r.get_bool(node, "database", "refuse_if_open_elsewhere", true);
  db.on_change_between_sessions =
      r.get_choice(node, "database", "on_change_between_sessions", "refuse", {"refuse", "warn"}) ==
              "refuse"
          ? ChangePolicy::kRefuse
          : ChangePolicy::kWarn;
}

void read_safeguards(const Reader& r, const YAML::Node& root, Config& config) {
  const auto node = r.section(root, "db_safeguards", false);
  if (!node.IsDefined()) return;
  r.require_known_keys(node, "db_safeguards",
                       {"pre_session_backup_enabled", "post_session_backup_enabled",
                        "backup_retention_count", "backup_keep_daily", "backup_keep_weekly",
                        "integrity_check_on_startup", "integrity_check_mode",
                        "in_session_backup_minutes"});
  auto& s = config.db_safeguards;
  const std::string_view sec = "db_safeguards";
  s.pre_session_backup_enabled = r.get_bool(node, sec, "pre_session_backup_enabled", true);
  s.post_session_backup_enabled = r.get_bool(node, sec, "post_session_backup_enabled", true);
  s.backup_retention_count = r.get_int(node, sec, "backup_retention_count", 10, 1, 1000);
  s.backup_keep_daily = r.get_int(node, sec, "backup_keep_daily", 7, 0, 1000);
  s.backup_keep_weekly = r.get_int(node, sec, "backup_keep_weekly", 4, 0, 1000);
  s.integrity_check_on_startup = r.get_bool(node, sec, "integrity_check_on_startup", true);
  s.integrity_check_mode = r.get_choice(node, sec, "integrity_check_mode", "full",
                                        {"full", "quick"}) == "full"
                               ? CheckMode::kFull
                               : CheckMode::kQuick;
  s.in_session_backup_minutes =
      r.get_decimal(node, sec, "in_session_backup_minutes", 0, 0, 24 * 60);
  if (s.in_session_backup_minutes > 0 && s.in_session_backup_minutes < 0.01) {
    r.fail(node["in_session_backup_minutes"].Mark(), "db_safeguards.in_session_backup_minutes",
           "must be 0 (off) or at least 0.01 (0.6 s)");
  }
}

// engine.clean_stop_signals: only the signal the supervisor sends can be
// its own stop. Another name could only ever match someone else's kill,
// which is never clean, so listing it is refused rather than ignored.
void read_clean_stop_signals(const Reader& r, const YAML::Node& node, EngineConfig& e) {
  const auto signals = r.sequence(node, "engine", "clean_stop_signals", "[SIGTERM]");
  if (!signals) return;
  const std::string key = "engine.clean_stop_signals";
  for (const auto& item : *signals) {
    if (!item.IsScalar()) r.fail(item.Mark(), key, "must hold signal names, like SIGTERM");
    const std::string& name = item.Scalar();
    const auto& known = known_stop_signals();
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      std::string allowed;
      for (auto k : known) allowed += (allowed.empty() ? "" : ", ") + std::string(k);
      r.fail(item.Mark(), key, "'" + name + "' is not a stop signal (allowed: " + allowed + ")");
    }
    if (name != e.stop_signal) {
      r.fail(item.Mark(), key,
             "lists " + name + ", but the supervisor stops the engine with engine.stop_signal " +
                 e.stop_signal + " and never sends " + name +
                 ": a death by it would be someone else's kill, never a clean stop. List " +
                 e.stop_signal + ", or set engine.stop_signal: " + name);
    }
    if (std::find(e.clean_stop_signals.begin(), e.clean_stop_signals.end(), name) !=
        e.clean_stop_signals.end()) {
      r.fail(item.Mark(), key, "lists " + name + " twice; keep one");
    }
    e.clean_stop_signals.push_back(name);
  }
}

// `<section>.command`: an argv list (engine.command, notify.command), never
// run through a shell. nullopt when the key is absent.
std::optional<std::vector<std::string>> read_argv(const Reader& r, const YAML::Node& node,
                                                  const std::string& section,
                                                  std::string_view example) {
  const std::string key = section + ".command";
  auto command = r.sequence(node, section, "command", example);
  if (!command) return std::nullopt;
  std::vector<std::string> argv;
  for (const auto& arg : *command) {
    if (!arg.IsScalar()) r.fail(arg.Mark(), key, "every item must be a string");
    argv.push_back(r.text(arg, key));
  }
  if (argv.empty() || argv.front().empty()) r.fail(command->Mark(), key, "must name the program to run");
  r.refuse_home((*command)[0], key);
  // A program given with a folder part is a path like every other in this
  // file; a bare name is looked up on PATH.
  if (argv.front().find_first_of("/\\") != std::string::npos) {
    argv.front() = r.resolve(argv.front()).string();
  }
  return argv;
}

void read_notify(const Reader& r, const YAML::Node& root, Config& config) {
  const auto node = r.section(root, "notify", false);
  if (!node.IsDefined()) return;
  r.require_known_keys(node, "notify", {"command", "on", "timeout_seconds"});
  auto& n = config.notify;
  if (auto command = read_argv(r, node, "notify", "[/usr/local/bin/alert, --quiet]")) {
    n.command = std::move(*command);
  }
  if (auto events = r.sequence(node, "notify", "on", "[unclean, aborted, refused]")) {
    n.on.clear();
    for (const auto& item : *events) {
      const auto& known = known_notify_events();
      if (!item.IsScalar() ||
          std::find(known.begin(), known.end(), item.Scalar()) == known.end()) {
        std::string allowed;
        for (auto k : known) allowed += (allowed.empty() ? "" : ", ") + std::string(k);
        r.fail(item.Mark(), "notify.on", "'" + (item.IsScalar() ? item.Scalar() : std::string("?")) +
                                             "' is not an event (allowed: " + allowed + ")");
      }
      if (std::find(n.on.begin(), n.on.end(), item.Scalar()) != n.on.end()) {
        r.fail(item.Mark(), "notify.on", "lists " + item.Scalar() + " twice; keep one");
      }
      n.on.push_back(item.Scalar());
    }
  }
  n.timeout_seconds = r.get_int(node, "notify", "timeout_seconds", 30, 1, 3600);
}

void read_offsite(const Reader& r, const YAML::Node& root, Config& config) {
  const auto node = r.section(root, "offsite", false);
  if (!node.IsDefined()) return;
  r.require_known_keys(node, "offsite",
                       {"restic_repository", "password_file", "kinds", "keep_last", "keep_daily",
                        "wait_seconds", "restic"});
  auto& o = config.offsite;
  o.restic_repository = r.get_string(node, "offsite", "restic_repository", "", /*required=*/true);
  // A local folder resolves against this file's folder, as every path here.
  if (o.restic_repository.find(':') == std::string::npos ||
      (o.restic_repository.size() > 1 && o.restic_repository[1] == ':')) {
    o.restic_repository = r.resolve(o.restic_repository).string();
  }
  o.password_file = r.resolve(r.get_path(node, "offsite", "password_file", "", /*required=*/true));
  if (auto kinds = r.sequence(node, "offsite", "kinds", "[bak, post, live, manual]")) {
    o.kinds.clear();
    for (const auto& item : *kinds) {
      const auto text = item.IsScalar() ? item.Scalar() : std::string("?");
      if (!backup_kind_from_string(text)) {
        r.fail(item.Mark(), "offsite.kinds",
               "'" + text + "' is not a backup kind (allowed: bak, post, live, manual)");
      }
      if (std::find(o.kinds.begin(), o.kinds.end(), text) != o.kinds.end()) {
        r.fail(item.Mark(), "offsite.kinds", "lists " + text + " twice; keep one");
      }
      o.kinds.push_back(text);
    }
  }
  o.keep_last = r.get_int(node, "offsite", "keep_last", 30, 1, 100000);
  o.keep_daily = r.get_int(node, "offsite", "keep_daily", 14, 0, 100000);
  o.wait_seconds = r.get_int(node, "offsite", "wait_seconds", 120, 0, 86400);
  if (const auto restic = r.get_path(node, "offsite", "restic", ""); !restic.empty()) {
    o.restic = restic.find_first_of("/\\") == std::string::npos ? fs::path(restic) : r.resolve(restic);
  }
}

void read_engine(const Reader& r, const YAML::Node& root, Config& config) {
  const auto node = r.section(root, "engine", false);
  auto& e = config.engine;
  e.working_dir = Reader::normal_absolute(r.base());
  if (!node.IsDefined()) return;
  r.require_known_keys(node, "engine",
                       {"command", "working_dir", "env", "stop_signal", "stop_grace_seconds",
                        "clean_exit_codes", "error_patterns",
                        "clean_stop_signals"});
  if (auto command = read_argv(r, node, "engine", "[python3, engine.py]")) {
    e.command = std::move(*command);
  }
  const auto working_dir = r.get_path(node, "engine", "working_dir", "");
  if (!working_dir.empty()) e.working_dir = r.resolve(working_dir);
  if (node["env"].IsDefined()) {
    const auto env = node["env"];
    if (!env.IsMap()) r.fail(env.Mark(), "engine.env", "must be a mapping of NAME: value");
    r.require_known_keys(env, "engine.env", {});
    for (const auto& entry : env) {
      const std::string name = r.text(entry.first, "engine.env");
      // The engine would see "A=B: c" as A set to "B: c", and no OS takes a
      // nameless variable.
      // Nor a space, a line break or another control character: a name
      // like that is a typo or a paste, and a shell could not set it.
      const bool odd = std::any_of(name.begin(), name.end(), [](char c) {
        const auto byte = static_cast<unsigned char>(c);
        return byte <= 0x20 || byte == 0x7f || c == '=';
      });
      if (name.empty() || odd) {
        r.fail(entry.first.Mark(), "engine.env",
               "'" + name + "' is not a variable name: a name is not empty and holds no '=', "
               "space, line break or other control character");
      }
      if (!entry.second.IsScalar()) {
        r.fail(entry.second.Mark(), "engine.env." + name, "must be a single value");
      }
      e.env[name] = r.text(entry.second, "engine.env." + name);
    }
  }
  e.stop_signal = r.get_choice(node, "engine", "stop_signal", "SIGINT", known_stop_signals());
  e.stop_grace_seconds = r.get_int(node, "engine", "stop_grace_seconds", 30, 1, 3600);
  if (auto codes = r.sequence(node, "engine", "clean_exit_codes", "[0, 3]")) {
    e.clean_exit_codes.clear();
    for (const auto& code : *codes) {
      if (!code.IsScalar()) r.fail(code.Mark(), "engine.clean_exit_codes", "must hold numbers");
      e.clean_exit_codes.push_back(r.to_int(code, "engine.clean_exit_codes", 0, 255));
    }
    if (e.clean_exit_codes.empty()) {
      r.fail(codes->Mark(), "engine.clean_exit_codes", "must list at least one exit code");
    }
  }
  if (auto patterns = r.sequence(node, "engine", "error_patterns", "[ERROR, 'Traceback \\(most']")) {
    e.error_patterns.clear();  // [] counts nothing
    for (const auto& pattern : *patterns) {
      if (!pattern.IsScalar() || pattern.Scalar().empty()) {
        r.fail(pattern.Mark(), "engine.error_patterns", "every item must be a non-empty regex");
      }
      const auto text = r.text(pattern, "engine.error_patterns");
      if (const auto error = regex_error_of(text); !error.empty()) {
        r.fail(pattern.Mark(), "engine.error_patterns", "'" + text + "' is not a valid regex: " + error);
      }
      e.error_patterns.push_back(text);
    }
  }
  read_clean_stop_signals(r, node, e);
}

// db_checks: a list of named read-only SQL checks. Whether the SQL only
// reads is decided when it is prepared on the DB (db_checks.cpp); here,
// every key must be there and make sense.
void read_db_checks(const Reader& r, const YAML::Node& root, Config& config) {
  const YAML::Node list = root["db_checks"];
  if (!list.IsDefined()) return;
  if (!list.IsSequence()) {
    r.fail(list.Mark(), "db_checks", "must be a list of checks, each with name, sql, expect, on_fail");
  }
  for (const auto& item : list) {
    if (!item.IsMap()) r.fail(item.Mark(), "db_checks", "every check must be a mapping of keys");
    r.require_known_keys(item, "db_checks", {"name", "sql", "expect", "when", "on_fail", "timeout_seconds"});
    DbCheckConfig check;
    check.name = r.get_string(item, "db_checks", "name", "", true);
    const std::string sec = "db_checks." + check.name;
    // The name goes into halt_reason (db_check_failed:<name>) and the logs.
    if (check.name.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") !=
        std::string::npos) {
      r.fail(item["name"].Mark(), sec, "a check's name holds only letters, digits, '_', '.' and '-'");
    }
    for (const auto& earlier : config.db_checks) {
      if (earlier.name == check.name) r.fail(item["name"].Mark(), sec, "a second check with this name");
    }
    check.sql = r.get_string(item, sec, "sql", "", true);
    const YAML::Node expect = item["expect"];
    if (!expect.IsDefined()) {
      r.fail(item.Mark(), sec + ".expect", "missing required key: say no_rows, or {value: X}");
    }
    if (expect.IsScalar() && expect.Scalar() == "no_rows") {
      check.expect_value.reset();
    } else if (expect.IsMap()) {
      r.require_known_keys(expect, sec + ".expect", {"value"});
      const auto value = r.scalar(expect, sec + ".expect", "value");
      if (!value) r.fail(expect.Mark(), sec + ".expect", "must be no_rows, or {value: X}");
      check.expect_value = r.text(*value, sec + ".expect.value");
    } else {
      r.fail(expect.Mark(), sec + ".expect", "must be no_rows, or {value: X}");
    }
    const YAML::Node when = item["when"];
    if (when.IsDefined()) {
      std::vector<YAML::Node> phases;
      if (when.IsSequence()) {
        for (const auto& phase : when) phases.push_back(phase);
      } else {
        phases.push_back(when);
      }
      check.at_startup = check.after_session = false;
      for (const auto& phase : phases) {
        const std::string text = phase.IsScalar() ? phase.Scalar() : "";
        if (text == "startup") {
          check.at_startup = true;
        } else if (text == "post_session") {
          check.after_session = true;
        } else if (text == "both") {
          check.at_startup = check.after_session = true;
        } else {
          r.fail(phase.Mark(), sec + ".when", "must be startup, post_session, both, or a list of them");
        }
      }
    }
    if (!check.at_startup && !check.after_session) {
      r.fail(when.Mark(), sec + ".when", "must name startup, post_session or both");
    }
    const auto on_fail = r.get_choice(item, sec, "on_fail", "", {"refuse", "warn"});
    if (on_fail.empty()) {
      r.fail(item.Mark(), sec + ".on_fail",
             "missing required key: say refuse (the engine does not start) or warn");
    }
    check.refuse = on_fail == "refuse";
    check.timeout_seconds = r.get_int(item, sec, "timeout_seconds", 10, 1, 3600);
    config.db_checks.push_back(std::move(check));
  }
}

void read_dirs(const Reader& r, const YAML::Node& root, Config& config) {
  const auto summary = r.section(root, "summary", false);
  config.summary_dir = r.resolve("logs");
  if (summary.IsDefined()) {
    r.require_known_keys(summary, "summary", {"dir"});
    config.summary_dir = r.resolve(r.get_path(summary, "summary", "dir", "logs"));
  }
  const auto logging = r.section(root, "logging", false);
  config.logging_dir = r.resolve("logs");
  if (logging.IsDefined()) {
    r.require_known_keys(logging, "logging",
                         {"dir", "level", "keep_sessions", "max_session_log_mb"});
    config.logging_dir = r.resolve(r.get_path(logging, "logging", "dir", "logs"));
    config.logging_level = r.get_choice(logging, "logging", "level", "info",
                                        {"trace", "debug", "info", "warn", "error"});
    config.logging_keep_sessions = r.get_int(logging, "logging", "keep_sessions", 100, 1, 1000000);
    config.logging_max_session_log_mb =
        r.get_int(logging, "logging", "max_session_log_mb", 1024, 1, 1 << 20);
  }
  const auto metrics = r.section(root, "metrics", false);
  if (metrics.IsDefined()) {
    r.require_known_keys(metrics, "metrics", {"textfile"});
    const auto textfile = r.get_path(metrics, "metrics", "textfile", "", true);
    config.metrics_textfile = r.resolve(textfile);
    if (config.metrics_textfile.extension() != ".prom") {
      r.fail(metrics["textfile"].Mark(), "metrics.textfile",
             "must end in .prom: node_exporter's textfile collector reads only those");
    }
  }
  const auto ui = r.section(root, "ui", false);
  if (ui.IsDefined()) {
    r.require_known_keys(ui, "ui", {"pause_on_exit", "console"});
    const auto pause = r.get_choice(ui, "ui", "pause_on_exit", "auto", {"auto", "always", "never"});
    config.pause_on_exit = pause == "always"  ? PauseOnExit::kAlways
                           : pause == "never" ? PauseOnExit::kNever
                                              : PauseOnExit::kAuto;
    const auto console = r.get_choice(ui, "ui", "console", "auto", {"auto", "viewer", "none"});
    config.console_mode = console == "viewer" ? ConsoleMode::kViewer
                          : console == "none" ? ConsoleMode::kNone
                                              : ConsoleMode::kAuto;
  }
}

}  // namespace

Result<Config> parse_config(std::string_view yaml_text, const fs::path& source) {
  const Reader reader(source);
  try {
    YAML::Node root;
    try {
      // YAML::Load reads the first document only: nothing after a "---" may
      // go unread.
      const auto documents = yaml_document_starts(yaml_text, 2);
      if (documents.size() > 1) {
        reader.fail(documents[1], "",
                    "a second YAML document starts here; a config file holds one");
      }
      root = YAML::Load(std::string(yaml_text));
    } catch (const YAML::Exception& e) {
      reader.fail(e.mark, "", "not valid YAML: " + e.msg);
    }
    if (root.IsNull() || !root.IsDefined()) {
      reader.fail(root.Mark(), "", "file is empty: it must set at least database.path");
    }
    if (!root.IsMap()) reader.fail(root.Mark(), "", "top level must be a mapping of sections");
    reader.require_known_keys(root, "",
                              {"database", "db_safeguards", "engine", "db_checks", "summary",
                               "logging", "metrics", "ui", "notify", "offsite"});
    Config config;
    config.source_file = fs::absolute(source).lexically_normal();
    read_database(reader, root, config);
    read_safeguards(reader, root, config);
    read_engine(reader, root, config);
    read_db_checks(reader, root, config);
    read_notify(reader, root, config);
    read_offsite(reader, root, config);
    read_dirs(reader, root, config);
    return config;
  } catch (const ConfigFault& fault) {
    return Error{ExitCode::kConfigInvalid, fault.message};
  } catch (const YAML::Exception& e) {
    // Anything yaml-cpp still throws (a key that is not a string, say) is
    // still a config error with a line, never a crash.
    return Error{ExitCode::kConfigInvalid, "config error in " + source.string() + " line " +
                                               std::to_string(Reader::line_of(e.mark)) + ": " +
                                               e.msg};
  }
}

Result<Config> load_config(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    return Error{ExitCode::kConfigInvalid,
                 "cannot read config file " + file.string() + ": " + std::strerror(errno)};
  }
  std::ostringstream text;
  text << in.rdbuf();
  return parse_config(text.str(), file);
}

Config config_for_database(const fs::path& db_path, const fs::path& working_folder) {
  Config config;
  config.database.path_as_configured = db_path.string();  // UTF-8 on every platform
  config.database.path = fs::absolute(working_folder / db_path).lexically_normal();
  config.database.backup_dir = config.database.path.parent_path();
  config.engine.working_dir = working_folder;
  config.summary_dir = working_folder / "logs";
  config.logging_dir = working_folder / "logs";
  return config;
}

Result<fs::path> find_config_file(const std::optional<fs::path>& explicit_file,
                                  const fs::path& current_folder, const fs::path& executable_folder) {
  std::error_code ec;
  if (explicit_file) {
    if (fs::is_regular_file(*explicit_file, ec)) return fs::absolute(*explicit_file);
    return Error{ExitCode::kConfigInvalid,
                 "config file " + explicit_file->string() + " does not exist (given with --config)"};
  }
  const fs::path candidates[] = {current_folder / kDefaultConfigName,
                                 executable_folder / kDefaultConfigName};
  for (const auto& candidate : candidates) {
    if (fs::is_regular_file(candidate, ec)) return fs::absolute(candidate);
  }
  return Error{ExitCode::kConfigInvalid,
               "no config file: looked for " + candidates[0].string() + " and then " +
                   candidates[1].string() + ". Pass one with --config FILE, or --db PATH."};
}

namespace {

// Text as render_config writes it. yaml-cpp writes a string that holds a
// carriage return or another control character as a plain scalar, and reads
// it back changed ("a\r" as "a"); in double quotes it is escaped.
struct Text {
  std::string_view value;
};

YAML::Emitter& operator<<(YAML::Emitter& out, Text text) {
  if (std::any_of(text.value.begin(), text.value.end(),
                  [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; })) {
    out << YAML::DoubleQuoted;
  }
  return out << std::string(text.value);
}

}  // namespace

std::string render_config(const Config& c) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  out << YAML::Key << "database" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "path" << YAML::Value << Text{c.database.path.string()};
  out << YAML::Key << "backup_dir" << YAML::Value << Text{c.database.backup_dir.string()};
  out << YAML::Key << "allow_missing" << YAML::Value << c.database.allow_missing;
  out << YAML::Key << "require_local_filesystem" << YAML::Value
      << c.database.require_local_filesystem;
  out << YAML::Key << "refuse_if_open_elsewhere" << YAML::Value
      << c.database.refuse_if_open_elsewhere;
  out << YAML::Key << "on_change_between_sessions" << YAML::Value
      << std::string(to_string(c.database.on_change_between_sessions));
  out << YAML::EndMap;
  const auto& s = c.db_safeguards;
  out << YAML::Key << "db_safeguards" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "pre_session_backup_enabled" << YAML::Value << s.pre_session_backup_enabled;
  out << YAML::Key << "post_session_backup_enabled" << YAML::Value << s.post_session_backup_enabled;
  out << YAML::Key << "backup_retention_count" << YAML::Value << s.backup_retention_count;
  out << YAML::Key << "backup_keep_daily" << YAML::Value << s.backup_keep_daily;
  out << YAML::Key << "backup_keep_weekly" << YAML::Value << s.backup_keep_weekly;
  out << YAML::Key << "integrity_check_on_startup" << YAML::Value << s.integrity_check_on_startup;
  out << YAML::Key << "integrity_check_mode" << YAML::Value
      << std::string(to_string(s.integrity_check_mode));
  {
    // Six significant digits, as typed (0.1, not 0.10000000000000001).
    std::ostringstream minutes;
    minutes << s.in_session_backup_minutes;
    out << YAML::Key << "in_session_backup_minutes" << YAML::Value << minutes.str();
  }
  out << YAML::EndMap;
  const auto& e = c.engine;
  out << YAML::Key << "engine" << YAML::Value << YAML::BeginMap;
  // No command is no key: `command: []` would not load again.
  if (!e.command.empty()) {
    out << YAML::Key << "command" << YAML::Value << YAML::Flow << YAML::BeginSeq;
    for (const auto& arg : e.command) out << Text{arg};
    out << YAML::EndSeq;
  }
  out << YAML::Key << "working_dir" << YAML::Value << Text{e.working_dir.string()};
  out << YAML::Key << "env" << YAML::Value << YAML::BeginMap;
  for (const auto& [name, value] : e.env) {
    // A plain key may be at most 1024 characters long, escapes included
    // (up to 10 for one character); a longer one must be written "? name".
    if (name.size() > 100) out << YAML::LongKey;
    out << YAML::Key << Text{name} << YAML::Value << Text{value};
  }
  out << YAML::EndMap;
  out << YAML::Key << "stop_signal" << YAML::Value << e.stop_signal;
  out << YAML::Key << "stop_grace_seconds" << YAML::Value << e.stop_grace_seconds;
  out << YAML::Key << "clean_exit_codes" << YAML::Value << YAML::Flow << e.clean_exit_codes;
  out << YAML::Key << "error_patterns" << YAML::Value << YAML::Flow << YAML::BeginSeq;
  for (const auto& pattern : e.error_patterns) out << YAML::DoubleQuoted << pattern;
  out << YAML::EndSeq;
  out << YAML::Key << "clean_stop_signals" << YAML::Value << YAML::Flow << e.clean_stop_signals;
  out << YAML::EndMap;
  if (!c.db_checks.empty()) {
    out << YAML::Key << "db_checks" << YAML::Value << YAML::BeginSeq;
    for (const auto& check : c.db_checks) {
      out << YAML::BeginMap;
      out << YAML::Key << "name" << YAML::Value << Text{check.name};
      out << YAML::Key << "sql" << YAML::Value << Text{check.sql};
      out << YAML::Key << "expect" << YAML::Value;
      if (check.expect_value) {
        out << YAML::Flow << YAML::BeginMap << YAML::Key << "value" << YAML::Value
            << YAML::DoubleQuoted << *check.expect_value << YAML::EndMap;
      } else {
        out << "no_rows";
      }
      out << YAML::Key << "when" << YAML::Value << YAML::Flow << YAML::BeginSeq;
      if (check.at_startup) out << "startup";
      if (check.after_session) out << "post_session";
      out << YAML::EndSeq;
      out << YAML::Key << "on_fail" << YAML::Value << (check.refuse ? "refuse" : "warn");
      out << YAML::Key << "timeout_seconds" << YAML::Value << check.timeout_seconds;
      out << YAML::EndMap;
    }
    out << YAML::EndSeq;
  }
  if (!c.notify.command.empty()) {
    out << YAML::Key << "notify" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "command" << YAML::Value << YAML::Flow << YAML::BeginSeq;
    for (const auto& arg : c.notify.command) out << Text{arg};
    out << YAML::EndSeq;
    out << YAML::Key << "on" << YAML::Value << YAML::Flow << c.notify.on;
    out << YAML::Key << "timeout_seconds" << YAML::Value << c.notify.timeout_seconds;
    out << YAML::EndMap;
  }
  if (c.offsite.enabled()) {
    const auto& o = c.offsite;
    out << YAML::Key << "offsite" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "restic_repository" << YAML::Value << Text{o.restic_repository};
    out << YAML::Key << "password_file" << YAML::Value << Text{o.password_file.string()};
    out << YAML::Key << "kinds" << YAML::Value << YAML::Flow << o.kinds;
    out << YAML::Key << "keep_last" << YAML::Value << o.keep_last;
    out << YAML::Key << "keep_daily" << YAML::Value << o.keep_daily;
    out << YAML::Key << "wait_seconds" << YAML::Value << o.wait_seconds;
    if (!o.restic.empty()) out << YAML::Key << "restic" << YAML::Value << Text{o.restic.string()};
    out << YAML::EndMap;
  }
  out << YAML::Key << "summary" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "dir" << YAML::Value << Text{c.summary_dir.string()} << YAML::EndMap;
  out << YAML::Key << "logging" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "dir" << YAML::Value << Text{c.logging_dir.string()};
  out << YAML::Key << "level" << YAML::Value << c.logging_level;
  out << YAML::Key << "keep_sessions" << YAML::Value << c.logging_keep_sessions;
  out << YAML::Key << "max_session_log_mb" << YAML::Value << c.logging_max_session_log_mb
      << YAML::EndMap;
  if (!c.metrics_textfile.empty()) {
    out << YAML::Key << "metrics" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "textfile" << YAML::Value << Text{c.metrics_textfile.string()} << YAML::EndMap;
  }
  out << YAML::Key << "ui" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "pause_on_exit" << YAML::Value << std::string(to_string(c.pause_on_exit));
  out << YAML::Key << "console" << YAML::Value << std::string(to_string(c.console_mode))
      << YAML::EndMap;
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

}  // namespace es
