#include "common/shell_command.hpp"

#include <doctest/doctest.h>

#include "common/os_info.hpp"

using namespace es;

TEST_CASE("shell_command: POSIX sh words are left bare when plain and single-quoted otherwise") {
  const auto sh = ShellStyle::kPosix;
  CHECK(quote_argument("/srv/neo/live.db", sh) == "/srv/neo/live.db");
  CHECK(quote_argument("--db", sh) == "--db");
  CHECK(quote_argument("/srv/my db/it's.db", sh) == "'/srv/my db/it'\\''s.db'");
  CHECK(quote_argument("", sh) == "''");
  CHECK(quote_argument("$HOME/`id`/*.db", sh) == "'$HOME/`id`/*.db'");
  CHECK(quote_argument("C:\\data\\live.db", sh) == "'C:\\data\\live.db'");
  CHECK(quote_argument("/srv/bücher/live.db", sh) == "'/srv/bücher/live.db'");
  CHECK(command_prefix("/opt/engine-supervisor/bin/engine-supervisor", sh) ==
        "/opt/engine-supervisor/bin/engine-supervisor");
  CHECK(command_prefix("/home/op/my tools/engine-supervisor", sh) ==
        "'/home/op/my tools/engine-supervisor'");
}

TEST_CASE("shell_command: PowerShell words double their single quotes, and the program goes behind &") {
  const auto ps = ShellStyle::kPowerShell;
  CHECK(quote_argument("C:\\data\\live.db", ps) == "C:\\data\\live.db");
  CHECK(quote_argument("--config", ps) == "--config");
  CHECK(quote_argument("C:\\Users\\O'Brien\\my data\\live.db", ps) ==
        "'C:\\Users\\O''Brien\\my data\\live.db'");
  CHECK(quote_argument("", ps) == "''");
  // What PowerShell would expand or split in a bare word.
  CHECK(quote_argument("$env:TEMP\\live.db", ps) == "'$env:TEMP\\live.db'");
  CHECK(quote_argument("D:\\a,b.db", ps) == "'D:\\a,b.db'");
  CHECK(quote_argument("D:\\(x)\\@y.db", ps) == "'D:\\(x)\\@y.db'");
  // Typographic single quotes end a PowerShell single-quoted string too.
  CHECK(quote_argument("D:\\it\u2019s.db", ps) == "'D:\\it\u2019\u2019s.db'");
  CHECK(quote_argument("D:\\\u2018a\u201b.db", ps) == "'D:\\\u2018\u2018a\u201b\u201b.db'");
  CHECK(quote_argument("D:\\\u201cquoted\u201d.db", ps) == "'D:\\\u201cquoted\u201d.db'");
  CHECK(command_prefix("C:\\es\\engine-supervisor.exe", ps) == "& 'C:\\es\\engine-supervisor.exe'");
  CHECK(command_prefix("C:\\Program Files\\O'Brien\\engine-supervisor.exe", ps) ==
        "& 'C:\\Program Files\\O''Brien\\engine-supervisor.exe'");
}

TEST_CASE("shell_command: the printed command runs this executable by its absolute path") {
  const auto self = executable_path();
  REQUIRE_FALSE(self.empty());
  CHECK(self.is_absolute());
  CHECK(supervisor_command("restore x --db y") ==
        command_prefix(self, operator_shell_style()) + " restore x --db y");
  CHECK(shell_quote("a b") == quote_argument("a b", operator_shell_style()));
}
