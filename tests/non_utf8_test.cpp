// Bytes that are not UTF-8 (a Latin-1 folder name) never abort a command:
// its JSON replaces them, and the files are still found by their real names.

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "common/json_text.hpp"
#include "support/temp_dir.hpp"
#include "support/test_db.hpp"

namespace es {
namespace fs = std::filesystem;

TEST_CASE("non-UTF-8: json_text replaces bytes nlohmann's dump() throws on") {
  const nlohmann::json value = {{"path", std::string("caf\xe9/live.db")}};
  CHECK_THROWS(static_cast<void>(value.dump().size()));
  const auto text = json_text(value);
  CHECK(text == "{\"path\":\"caf\xef\xbf\xbd/live.db\"}");
  CHECK(nlohmann::json::parse(text)["path"] == "caf\xef\xbf\xbd/live.db");
}

TEST_CASE("non-UTF-8: check, backup, backups, restore and history on a DB in a Latin-1 folder") {
  test::TempDir dir;
  const auto folder = dir / std::string("caf\xe9");  // "café" in Latin-1: not UTF-8
  fs::create_directories(folder);
  const auto db = folder / "live.db";
  test::make_db(db, 100);
  const auto run = [&](std::vector<std::string> args) {
    args.insert(args.begin(), test::supervisor_binary());
    args.push_back("--db");
    args.push_back(db.string());
    return test::run_command(args, dir.path());
  };

  const auto check = run({"check", "--json"});
  CHECK(check.exit_code == 0);
  CHECK(nlohmann::json::parse(check.out)["result"] == "ok");
  CHECK(run({"backup"}).exit_code == 0);
  const auto backups = run({"backups", "--json"});
  CHECK(backups.exit_code == 0);
  CHECK(nlohmann::json::parse(backups.out).size() == 1);
  const auto restore = run({"restore", "--latest", "--yes"});
  CHECK(restore.exit_code == 0);
  CHECK(test::count_rows(db) == 100);
  const auto history = run({"history", "--json"});
  CHECK(history.exit_code == 0);
  CHECK(nlohmann::json::parse(history.out).is_array());
}

}  // namespace es
