#include "common/config.hpp"

#include <doctest/doctest.h>

#include "support/temp_dir.hpp"
#include "support/test_db.hpp"

using namespace es;
namespace fs = std::filesystem;

namespace {
const char* kFullConfig = R"(database:
  path: data/live.db
  backup_dir: data/backups
  allow_missing: false
  require_local_filesystem: true
  on_change_between_sessions: warn
db_safeguards:
  pre_session_backup_enabled: true
  post_session_backup_enabled: false
  backup_retention_count: 7
  backup_keep_daily: 3
  backup_keep_weekly: 0
  integrity_check_on_startup: true
  integrity_check_mode: quick
engine:
  command: ["python3", "engine.py"]
  working_dir: .
  env: {MODE: paper}
  stop_signal: SIGTERM
  stop_grace_seconds: 12
  clean_exit_codes: [0, 3]
summary:
  dir: logs
logging:
  dir: logs
  level: info
ui:
  pause_on_exit: never
  console: none
)";

// What a POSIX-style absolute path means on this platform (Z:\srv\... under Wine).
fs::path native(const char* path) { return fs::absolute(fs::path(path)).lexically_normal(); }

Error parse_error(const std::string& text) {
  auto result = parse_config(text, "/etc/es/conf.yaml");
  REQUIRE_FALSE(result.has_value());
  CHECK(result.error().exit_code == ExitCode::kConfigInvalid);
  return result.error();
}

// Checks that the error `text` gets holds `expected`.
void check_error(const std::string& text, const std::string& expected) {
  const auto message = parse_error(text).message;
  INFO(message);
  CHECK(message.find(expected) != std::string::npos);
}
}  // namespace

TEST_CASE("config: the documented keys are accepted and paths resolve against the file's folder") {
  auto config = parse_config(kFullConfig, "/srv/neo/engine-supervisor.yaml");
  REQUIRE(config.has_value());
  CHECK(config->database.path == native("/srv/neo/data/live.db"));
  CHECK(config->database.path_as_configured == "data/live.db");
  CHECK(config->database.backup_dir == native("/srv/neo/data/backups"));
  CHECK(config->db_safeguards.backup_retention_count == 7);
  CHECK(config->db_safeguards.backup_keep_daily == 3);
  CHECK(config->db_safeguards.backup_keep_weekly == 0);
  CHECK(config->database.on_change_between_sessions == ChangePolicy::kWarn);
  CHECK_FALSE(config->db_safeguards.post_session_backup_enabled);
  CHECK(config->db_safeguards.integrity_check_mode == CheckMode::kQuick);
  CHECK(config->engine.command == std::vector<std::string>{"python3", "engine.py"});
  CHECK(config->engine.working_dir == native("/srv/neo"));
  CHECK(config->engine.env.at("MODE") == "paper");
  CHECK(config->engine.stop_signal == "SIGTERM");
  CHECK(config->engine.stop_grace_seconds == 12);
  CHECK(config->engine.clean_exit_codes == std::vector<int>{0, 3});
  CHECK(config->summary_dir == native("/srv/neo/logs"));
  CHECK(config->pause_on_exit == PauseOnExit::kNever);
  CHECK(config->console_mode == ConsoleMode::kNone);
}

TEST_CASE("config: ui.console is auto, viewer or none, and nothing else") {
  CHECK(parse_config("database: {path: a.db}\n", "/x/c.yaml")->console_mode == ConsoleMode::kAuto);
  CHECK(parse_config("database: {path: a.db}\nui: {console: viewer}\n", "/x/c.yaml")->console_mode ==
        ConsoleMode::kViewer);
  check_error("database: {path: a.db}\nui:\n  console: hidden\n", "line 3, key 'ui.console'");
}

TEST_CASE("config: defaults fill what is left out, and only that") {
  auto config = parse_config("database:\n  path: /data/live.db\n", "/x/c.yaml");
  REQUIRE(config.has_value());
  CHECK(config->database.backup_dir == native("/data"));
  CHECK(config->db_safeguards.pre_session_backup_enabled);
  CHECK(config->db_safeguards.backup_retention_count == 10);
  CHECK(config->db_safeguards.backup_keep_daily == 7);
  CHECK(config->db_safeguards.backup_keep_weekly == 4);
  CHECK(config->db_safeguards.integrity_check_mode == CheckMode::kFull);
  CHECK(config->database.on_change_between_sessions == ChangePolicy::kRefuse);
  CHECK(config->engine.stop_signal == "SIGINT");
  CHECK(config->engine.stop_grace_seconds == 30);
  CHECK(config->engine.clean_exit_codes == std::vector<int>{0});
  CHECK(config->summary_dir == native("/x/logs"));
  CHECK(config->console_mode == ConsoleMode::kAuto);
}

TEST_CASE("config: a program given with a folder resolves against the config's folder") {
  auto config = parse_config("database: {path: a.db}\nengine:\n  command: [bin/engine, --x]\n",
                             "/opt/neo/c.yaml");
  REQUIRE(config.has_value());
  CHECK(config->engine.command.front() == native("/opt/neo/bin/engine"));
}

TEST_CASE("config: an unknown key is an error naming the key and its line") {
  const auto error = parse_error(
      "database:\n  path: live.db\ndb_safeguards:\n  backup_retention_cout: 5\n");
  CHECK(error.message.find("db_safeguards.backup_retention_cout") != std::string::npos);
  CHECK(error.message.find("line 4") != std::string::npos);
  CHECK(error.message.find("/etc/es/conf.yaml") != std::string::npos);
}

TEST_CASE("config: a wrong type is an error naming the key and its line") {
  SUBCASE("bool") {
    const auto error = parse_error("database:\n  path: live.db\n  allow_missing: maybe\n");
    CHECK(error.message.find("database.allow_missing") != std::string::npos);
    CHECK(error.message.find("line 3") != std::string::npos);
  }
  SUBCASE("number") {
    const auto error =
        parse_error("database:\n  path: live.db\nengine:\n  stop_grace_seconds: soon\n");
    CHECK(error.message.find("engine.stop_grace_seconds") != std::string::npos);
    CHECK(error.message.find("line 4") != std::string::npos);
  }
  SUBCASE("list") {
    const auto error = parse_error("database:\n  path: live.db\nengine:\n  command: engine.py\n");
    CHECK(error.message.find("line 4, key 'engine.command': must be a list, like [python3, "
                             "engine.py]") != std::string::npos);
  }
  SUBCASE("choice") {
    const auto error = parse_error(
        "database:\n  path: live.db\ndb_safeguards:\n  integrity_check_mode: thorough\n");
    CHECK(error.message.find("db_safeguards.integrity_check_mode") != std::string::npos);
  }
}

TEST_CASE("config: database.on_change_between_sessions is refuse or warn, and nothing else") {
  check_error("database: {path: a, on_change_between_sessions: ignore}\n",
              "key 'database.on_change_between_sessions': must be one of refuse, warn (got "
              "'ignore')");
  check_error("database: {path: a, on_change_between_sessions: false}\n", "must be one of");
  const auto refuse = parse_config("database: {path: a, on_change_between_sessions: refuse}\n", "c");
  REQUIRE(refuse.has_value());
  CHECK(refuse->database.on_change_between_sessions == ChangePolicy::kRefuse);
}

TEST_CASE("config: a missing database.path is an error") {
  const auto error = parse_error("database:\n  backup_dir: b\n");
  CHECK(error.message.find("database.path") != std::string::npos);
  CHECK(error.message.find("missing") != std::string::npos);
  CHECK(parse_error("engine:\n  command: [x]\n").message.find("database") != std::string::npos);
}

TEST_CASE("config: backup_retention_count must be within 1..1000") {
  for (const char* value : {"0", "-1", "1001"}) {
    CAPTURE(value);
    const auto error = parse_error(std::string("database:\n  path: live.db\ndb_safeguards:\n"
                                               "  backup_retention_count: ") +
                                   value + "\n");
    CHECK(error.message.find("db_safeguards.backup_retention_count") != std::string::npos);
    CHECK(error.message.find("between 1 and 1000") != std::string::npos);
  }
  CHECK(parse_config("database: {path: a}\ndb_safeguards: {backup_retention_count: 1000}\n", "c")
            .has_value());
}

TEST_CASE("config: backup_keep_daily and backup_keep_weekly are whole numbers within 0..1000") {
  for (const char* key : {"backup_keep_daily", "backup_keep_weekly"}) {
    CAPTURE(key);
    for (const char* value : {"-1", "1001", "1.5", "seven", "[7]"}) {
      CAPTURE(value);
      const auto error = parse_error(std::string("database:\n  path: live.db\ndb_safeguards:\n  ") +
                                     key + ": " + value + "\n");
      CHECK(error.message.find(std::string("db_safeguards.") + key) != std::string::npos);
    }
    for (const char* value : {"0", "1000"}) {
      CAPTURE(value);
      CHECK(parse_config(std::string("database: {path: a}\ndb_safeguards: {") + key + ": " +
                             value + "}\n",
                         "c")
                .has_value());
    }
  }
}

TEST_CASE("config: broken YAML and an empty file are errors with a line") {
  CHECK(parse_error("database:\n  path: [unclosed\n").message.find("line") != std::string::npos);
  CHECK(parse_error("").message.find("empty") != std::string::npos);
  CHECK(parse_error("database:\n  path:\n").message.find("database.path") != std::string::npos);
}

TEST_CASE("config: find_config_file looks in the current folder, then beside the executable") {
  test::TempDir cwd, exe;
  CHECK_FALSE(find_config_file(std::nullopt, cwd.path(), exe.path()).has_value());
  test::write_file(exe / "engine-supervisor.yaml", "database: {path: a}\n");
  CHECK(find_config_file(std::nullopt, cwd.path(), exe.path()).value() ==
        exe / "engine-supervisor.yaml");
  test::write_file(cwd / "engine-supervisor.yaml", "database: {path: a}\n");
  CHECK(find_config_file(std::nullopt, cwd.path(), exe.path()).value() ==
        cwd / "engine-supervisor.yaml");
  CHECK_FALSE(find_config_file(cwd / "nope.yaml", cwd.path(), exe.path()).has_value());
}

TEST_CASE("config: an empty file or one holding only a comment is an error naming a line") {
  for (const std::string text : {"", "# nothing\n", "~\n"}) {
    CAPTURE(text);
    check_error(text, "/etc/es/conf.yaml line 1: file is empty");
  }
  // The empty document starts after the "---".
  check_error("---\n", "line 2: file is empty");
}

TEST_CASE("config: a missing required key names the line where its section starts") {
  check_error("# settings\ndatabase:\n  backup_dir: b\n",
              "line 3, key 'database.path': missing required key: the section 'database'");
  check_error("\nengine:\n  command: [x]\n",
              "line 2, key 'database': missing required section: the top level");
}

TEST_CASE("config: a key given twice is an error naming both lines") {
  check_error("database:\n  path: a.db\n  path: b.db\n",
              "line 3, key 'database.path': given twice (first on line 2)");
  check_error("database: {path: a.db}\ndatabase: {path: b.db}\n",
              "line 2, key 'database': given twice");
  check_error("database: {path: a}\nengine:\n  env: {A: 1, B: 2, A: 3}\n",
              "key 'engine.env.A': given twice");
}

TEST_CASE("config: a second YAML document is an error naming its line") {
  check_error("database: {path: a}\n---\ndatabase: {path: b}\n", "line 2: a second YAML document");
  check_error("database: {path: a}\n...\n---\n", "second YAML document");
}

TEST_CASE("config: broken YAML that yaml-cpp cannot read on from is an error and not a hang") {
  // YAML::LoadAll never returned on this file.
  check_error(",", "/etc/es/conf.yaml line 1: not valid YAML");
}

TEST_CASE("config: a key that is not a plain name is an error") {
  check_error("database: {path: a}\nengine:\n  env: {~: x}\n",
              "line 3, key 'engine.env': a key must be a plain name");
  check_error("[a]: 1\n", "a key must be a plain name");
}

TEST_CASE("config: an environment variable the OS cannot carry is an error naming its key") {
  check_error("database: {path: a}\nengine:\n  env: {\"A=B\": x}\n",
              "line 3, key 'engine.env': 'A=B' is not a variable name");
  check_error("database: {path: a}\nengine:\n  env: {\"\": x}\n",
              "line 3, key 'engine.env': '' is not a variable name");
  check_error("database: {path: a}\nengine:\n  env: {\"A\\0B\": x}\n",
              "line 3, key 'engine.env': holds a NUL character");
  check_error("database: {path: a}\nengine:\n  env: {A: \"x\\0\"}\n",
              "line 3, key 'engine.env.A': holds a NUL character");
  check_error("database: {path: \"a\\0.db\"}\n", "line 1, key 'database.path': holds a NUL");
}

TEST_CASE("config: text that is not UTF-8 is an error naming its key") {
  check_error("database:\n  path: \"caf\xe9.db\"\n",
              "line 2, key 'database.path': is not UTF-8 text");
  check_error("database: {path: a}\nengine: {command: [x, \"\xc0\x80\"]}\n",
              "key 'engine.command': is not UTF-8 text");
  check_error("database: {path: a}\nengine: {env: {A: \"\xef\xbf\xbf\"}}\n",
              "key 'engine.env.A': is not UTF-8 text");
  CHECK(parse_config("database: {path: \"caf\xc3\xa9/\xf0\x9f\x93\x88.db\"}\n", "c").has_value());
}

TEST_CASE("config: render_config loads again to the same config") {
  // Control characters: yaml-cpp wrote "au\rae\r" unquoted and read it back as "au\rae".
  const char* control = R"(database: {path: "au\rae\r"}
engine: {command: [x, "\t"], env: {"A_B": "\x01\n"}}
)";
  // A plain key longer than 1024 characters is not YAML; the fuzzer found
  // config show writing one.
  std::string bells;
  for (int i = 0; i < 300; ++i) bells += "\\u00e9";
  const std::string long_name = "database: {path: a}\nengine:\n  env:\n    ? \"" + bells +
                                "\"\n    : x\n    ? " + std::string(1100, 'N') + "\n    : y\n";
  for (const std::string& text : {std::string("database: {path: a.db}\n"),
                                 std::string(kFullConfig), std::string(control), long_name}) {
    CAPTURE(text);
    const auto config = parse_config(text, "/srv/neo/engine-supervisor.yaml");
    REQUIRE(config.has_value());
    // Without engine.command too: `command: []` would be rejected.
    const auto again = parse_config(render_config(*config), "/srv/neo/engine-supervisor.yaml");
    REQUIRE(again.has_value());
    Config expected = *config;
    expected.database.path_as_configured = again->database.path_as_configured;
    CHECK(*again == expected);
  }
}

TEST_CASE("issue 11 (small): numbers and booleans are written plainly, env names are names, tags and a leading ~ are refused") {
  const std::string base = "database: {path: a.db}\n";
  for (const auto& [text, key] : std::vector<std::pair<std::string, std::string>>{
           {"engine: {stop_grace_seconds: \" 10\"}\n", "engine.stop_grace_seconds"},
           {"engine: {stop_grace_seconds: \"+10\"}\n", "engine.stop_grace_seconds"},
           {"engine: {stop_grace_seconds: \"10 \"}\n", "engine.stop_grace_seconds"},
           {"engine: {clean_exit_codes: [\"+3\"]}\n", "engine.clean_exit_codes"},
           {"db_safeguards: {pre_session_backup_enabled: Y}\n", "db_safeguards.pre_session_backup_enabled"},
           {"db_safeguards: {pre_session_backup_enabled: yes}\n", "db_safeguards.pre_session_backup_enabled"},
           {"db_safeguards: {pre_session_backup_enabled: off}\n", "db_safeguards.pre_session_backup_enabled"},
           {"engine: {env: {\"MY VAR\": x}}\n", "engine.env"},
           {"engine: {env: {\"MY\\nVAR\": x}}\n", "engine.env"},
           {"engine: {env: {\"MY\\tVAR\": x}}\n", "engine.env"},
           {"engine: {env: {TOKEN: !!binary aGVsbG8=}}\n", "engine.env.TOKEN"},
           {"logging: {dir: !!binary bG9ncw==}\n", "logging.dir"},
           {"logging: {dir: ~/logs}\n", "logging.dir"},
           {"engine: {working_dir: \"~\"}\n", "engine.working_dir"},
           {"engine: {command: [\"~/bin/engine\"]}\n", "engine.command"},
       }) {
    CAPTURE(text);
    const auto error = parse_error(base + text);
    CHECK(error.exit_code == ExitCode::kConfigInvalid);
    CHECK(error.message.find("key '" + key) != std::string::npos);
  }
  const auto home = parse_error("database: {path: ~/live.db}\n");
  CHECK(home.message.find("not expanded here") != std::string::npos);
  // What is plainly written still reads.
  const auto fine = parse_config(base + "engine: {stop_grace_seconds: -0, env: {MY_VAR: \"~/x\"}}\n"
                                        "db_safeguards: {pre_session_backup_enabled: False}\n",
                                 "/srv/neo/engine-supervisor.yaml");
  CHECK_FALSE(fine.has_value());  // -0 is below the minimum of 1
  const auto plain = parse_config(base + "engine: {stop_grace_seconds: 10, env: {MY_VAR: \"~/x\"}}\n"
                                         "db_safeguards: {pre_session_backup_enabled: False}\n",
                                  "/srv/neo/engine-supervisor.yaml");
  REQUIRE(plain.has_value());
  CHECK(plain->engine.stop_grace_seconds == 10);
  CHECK(plain->engine.env.at("MY_VAR") == "~/x");  // a value is the engine's: passed as written
  CHECK_FALSE(plain->db_safeguards.pre_session_backup_enabled);
}
