#include "fuzz/backup_name_fuzz_oracle.hpp"

#include <doctest/doctest.h>

#include <stdexcept>

using namespace es;
using namespace es::fuzz;

namespace {

std::string violation(std::string_view input, const BackupNameCodec& codec = {}) {
  return backup_name_violation(input, codec).value_or("");
}

// The real parser, after `rewrite` has turned a variant spelling into the
// canonical one: a parser that silently accepts the variant.
BackupNameCodec lenient(std::string (*rewrite)(std::string_view)) {
  return {.parse = [rewrite](std::string_view name, std::string_view db) {
    return parse_backup_name(rewrite(name), db);
  }};
}

}  // namespace

TEST_CASE("backup name fuzz oracle: the real codec keeps every invariant on typical names") {
  for (const std::string input :
       {"live.db.bak.20260422T142300Z", "live.db.post.20260422T142300Z-3",
        "live.db.bak.20260422T142300Z-01", "a.b\na.b.manual.16770921T001244Z", "\n.bak.x",
        "x.db\nlive.db.bak.20260422T142300Z", "live.db.bak.99991231T235959Z"}) {
    CAPTURE(input);
    CHECK(violation(input) == "");
  }
}

TEST_CASE("backup name fuzz oracle: a parser that accepts a variant spelling is caught") {
  SUBCASE("a leading zero in the sequence") {
    const auto codec = lenient([](std::string_view name) {
      std::string text(name);
      if (const auto at = text.find("-0"); at != std::string::npos) text.erase(at + 1, 1);
      return text;
    });
    CHECK(violation("live.db.bak.20260422T142300Z-02", codec).find("formats back as") !=
          std::string::npos);
  }
  SUBCASE("an upper-case kind") {
    const auto codec = lenient([](std::string_view name) {
      std::string text(name);
      if (const auto at = text.find(".BAK."); at != std::string::npos) text.replace(at, 5, ".bak.");
      return text;
    });
    CHECK(violation("live.db.BAK.20260422T142300Z", codec).find("formats back as") !=
          std::string::npos);
  }
}

TEST_CASE("backup name fuzz oracle: a parser that rejects a backup or a broken format is caught") {
  const BackupNameCodec rejecting{
      .parse = [](std::string_view, std::string_view) { return std::optional<BackupName>(); }};
  CHECK(violation("live.db.bak.20260422T142300Z", rejecting).find("rejected") == 0);
  CHECK(violation("not a backup", rejecting).find("formatted") == 0);

  const BackupNameCodec suffixing{.format = [](std::string_view db, const BackupName& name) {
    return format_backup_name(db, name) + (name.sequence == 1 ? "-1" : "");
  }};
  CHECK(violation(std::string("x\ny") + std::string(13, '\0'), suffixing).find("formatted") == 0);

  const BackupNameCodec throwing{
      .parse = [](std::string_view, std::string_view) -> std::optional<BackupName> {
        throw std::runtime_error("boom");
      }};
  CHECK(violation("live.db", throwing) == "threw: boom");
}
