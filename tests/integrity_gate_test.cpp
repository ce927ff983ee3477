#include "common/integrity_gate.hpp"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "support/temp_dir.hpp"
#include "support/test_db.hpp"

using namespace es;
namespace fs = std::filesystem;

namespace {

struct Damage {
  const char* name;
  int exit_code;
  const char* cause;
  void (*apply)(const fs::path& db);
};

const Damage kDamages[] = {
    {"a page overwritten with garbage", 65, "malformed",
     [](const fs::path& db) {
       const int page = test::page_size_of(db);
       test::overwrite(db, static_cast<std::uintmax_t>(page) * 2, page);
     }},
    {"zeroed pages", 65, "malformed",
     [](const fs::path& db) {
       const int page = test::page_size_of(db);
       test::overwrite(db, static_cast<std::uintmax_t>(page) * 1, page * 3, 0);
     }},
    {"a truncated file", 65, "malformed",
     [](const fs::path& db) { test::truncate_to(db, fs::file_size(db) / 2 + 100); }},
    {"a non-SQLite file", 65, "file is not a database",
     [](const fs::path& db) {
       fs::remove(db);
       test::write_file(db, std::string(8192, 'x') + "this is a spreadsheet, not a database\n");
     }},
    {"a damaged header", 65, "file is not a database",
     [](const fs::path& db) { test::overwrite(db, 0, 16, 'Z'); }},
    {"a 0-byte file with backups present", 66, "empty (0 bytes)",
     [](const fs::path& db) { test::truncate_to(db, 0); }},
    {"a missing file", 66, "does not exist", [](const fs::path& db) { fs::remove(db); }},
};

}  // namespace

TEST_CASE("gate: a good DB passes, and `check` prints ok and exits 0") {
  test::TempDir dir;
  test::make_db(dir / "live.db");
  const auto gate = run_integrity_gate({dir / "live.db", dir.path(), CheckMode::kFull, false, ""});
  CHECK(gate.passed());
  CHECK(gate.summary_line() == "ok");
  auto result = test::run_command({test::supervisor_binary(), "check", "--db",
                                   (dir / "live.db").string()});
  CHECK(result.exit_code == 0);
  CHECK(result.out == "ok\n");
}

TEST_CASE("gate: fails closed on each damaged DB with the exact message, and leaves its bytes unchanged") {
  for (const auto& damage : kDamages) {
    CAPTURE(damage.name);
    test::TempDir dir;
    const auto db = dir / "live.db";
    test::make_db(db, 3000);
    // A good backup to point the operator at.
    test::make_db(dir / "live.db.bak.20260101T000000Z", 10);
    damage.apply(db);
    const bool existed = fs::exists(db);
    const std::string before = existed ? test::read_file(db) : "";

    auto result = test::run_command({test::supervisor_binary(), "check", "--db", db.string()});
    CHECK(result.exit_code == damage.exit_code);
    CHECK(result.err.find(std::string(kGateFailureHeadline) + "\n") != std::string::npos);
    CHECK(result.err.find("database: " + db.string()) != std::string::npos);
    CHECK(result.err.find(damage.cause) != std::string::npos);
    CHECK(result.err.find("newest good backup: " + (dir / "live.db.bak.20260101T000000Z").string()) !=
          std::string::npos);
    CHECK(result.err.find("engine-supervisor restore " +
                          (dir / "live.db.bak.20260101T000000Z").string() + " --db " +
                          db.string()) != std::string::npos);

    CHECK(fs::exists(db) == existed);  // never created
    if (existed) CHECK(test::read_file(db) == before);
  }
}

TEST_CASE("gate: a page fault is reported by its first real error line, in db_health and in the printed failure") {
  test::TempDir dir;
  const auto db = dir / "live.db";
  test::make_db(db, 2000);
  const int page = test::page_size_of(db);
  test::overwrite(db, static_cast<std::uintmax_t>(page) * 2, page);  // page 3
  const std::string fault = "Page 3: btreeInitPage() returns error code 11";

  const auto gate = run_integrity_gate({db, dir.path(), CheckMode::kFull, false, "--db x"});
  REQUIRE_FALSE(gate.passed());
  CHECK(gate.summary_line() == fault);  // db_health.integrity_check

  const auto printed = test::run_command({test::supervisor_binary(), "check", "--db", db.string()});
  CHECK(printed.exit_code == 65);
  CHECK(printed.err.find("cause: database disk image is malformed: " + fault + "\n") !=
        std::string::npos);
  CHECK(printed.err.find("integrity_check says:\n    " + fault + "\n") != std::string::npos);
  CHECK(printed.err.find("*** in database") == std::string::npos);
}

TEST_CASE("gate: an empty or schema-less DB passes only when no backups of it exist") {
  test::TempDir dir;
  const auto db = dir / "live.db";
  test::write_file(db, "");
  GateRequest request{db, dir.path(), CheckMode::kFull, false, "--db x"};
  CHECK(run_integrity_gate(request).passed());  // a fresh DB, nothing lost
  test::make_db(dir / "live.db.post.20260101T000000Z", 10);
  const auto gate = run_integrity_gate(request);
  REQUIRE_FALSE(gate.passed());
  CHECK(gate.failure->exit_code == ExitCode::kDbMissing);
  CHECK(gate.summary_line() == "database empty while backups of it exist");
}

TEST_CASE("gate: a missing DB is a first run only when allow_missing is set") {
  test::TempDir dir;
  GateRequest request{dir / "live.db", dir.path(), CheckMode::kFull, true, ""};
  auto gate = run_integrity_gate(request);
  CHECK(gate.passed());
  CHECK(gate.first_run);
  request.allow_missing = false;
  gate = run_integrity_gate(request);
  REQUIRE_FALSE(gate.passed());
  CHECK(gate.failure->exit_code == ExitCode::kDbMissing);
  CHECK_FALSE(fs::exists(dir / "live.db"));
}

TEST_CASE("gate: without a good backup the message says there is nothing to restore") {
  test::TempDir dir;
  test::write_file(dir / "live.db", "garbage garbage garbage");
  const auto gate = run_integrity_gate({dir / "live.db", dir.path(), CheckMode::kFull, false, ""});
  REQUIRE_FALSE(gate.passed());
  CHECK(gate.failure->message.find("nothing to restore from") != std::string::npos);
}

TEST_CASE("gate: `check --json` gives db_path, result, messages, mode and seconds") {
  test::TempDir dir;
  test::make_db(dir / "live.db");
  auto ok = test::run_command(
      {test::supervisor_binary(), "check", "--db", (dir / "live.db").string(), "--quick", "--json"});
  CHECK(ok.exit_code == 0);
  const auto good = nlohmann::json::parse(ok.out);
  CHECK(good["result"] == "ok");
  CHECK(good["mode"] == "quick");
  CHECK(good["db_path"] == (dir / "live.db").string());
  CHECK(good["seconds"].is_number());

  test::write_file(dir / "bad.db", "not a database at all, just text");
  auto bad = test::run_command(
      {test::supervisor_binary(), "check", "--db", (dir / "bad.db").string(), "--json"});
  CHECK(bad.exit_code == 65);
  const auto failed = nlohmann::json::parse(bad.out);
  CHECK(failed["result"] == "not_a_database");
  CHECK(failed["mode"] == "full");
  CHECK(failed["messages"][0] == std::string(kGateFailureHeadline));
}
