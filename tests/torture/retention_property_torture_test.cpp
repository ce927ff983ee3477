// Retention as a property: in a folder of thousands of random names (junk,
// near misses of backup names, other DBs' backups) mixed with real backups
// and with symlinks, folders, FIFOs and hard links under backup names,
// BackupStore::enforce_retention deletes exactly what an independent oracle
// says, and every other entry keeps its type, inode, bytes or target.
//
// The oracle (backup_name_oracle.hpp) is the documented name pattern as a
// regex plus a calendar check; it shares no code with parse_backup_name().

#include <doctest/doctest.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <ctime>
#include <map>
#include <random>
#include <set>

#include "common/backup_store.hpp"
#include "support/temp_dir.hpp"
#include "support/test_db.hpp"
#include "torture/backup_name_oracle.hpp"
#include "torture/backup_torture_support.hpp"
#include "torture/folder_state.hpp"
#include "torture/torture_mode.hpp"

using namespace es;
using namespace es::torture;
namespace fs = std::filesystem;

namespace {

// DB file names, some with characters a careless pattern would trip on, one
// that itself looks like a backup name.
constexpr std::array kDbNames = {
    "live.db",
    "trading.sqlite",
    "a",
    "live.db.bak",
    "my live (1).db",
    "[x]+y*.db?",
    "donn\xC3\xA9"
    "es.db",
    "live.db.post.20260101T000000Z",
    "-.db",
};
constexpr std::array kKinds = {"bak", "post", "manual"};

BackupKind kind_of(const std::string& kind) { return *backup_kind_from_string(kind); }

// `when` as a stamp's text, by the C library (not time_stamp.cpp).
std::string stamp_text_of(std::time_t when) {
  std::tm fields{};
  ::gmtime_r(&when, &fields);
  char text[32];
  std::strftime(text, sizeof text, "%Y%m%dT%H%M%SZ", &fields);
  return text;
}

// The documented test for a future stamp (operations.md, "Retention"): later
// than now plus 5 minutes, or than the file's mtime plus 24 hours. Such a
// backup is never deleted and never counted.
bool future_stamp(const OracleName& name, const fs::path& file, std::time_t now) {
  struct stat info {};
  std::string latest = stamp_text_of(now + 5 * 60);
  if (::stat(file.c_str(), &info) == 0) {
    latest = std::min(latest, stamp_text_of(info.st_mtime + 24 * 3600));
  }
  return name.stamp > latest;
}

// A real backup, small (512-byte pages), taken by the real BackupStore and
// verified by it; its bytes are what every "real backup" entry holds.
const std::string& real_backup_bytes() {
  static const std::string bytes = [] {
    test::TempDir dir;
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open((dir / "live.db").c_str(), &db) == SQLITE_OK);
    REQUIRE(sqlite3_exec(db,
                         "PRAGMA page_size=512; PRAGMA journal_mode=WAL;"
                         "CREATE TABLE t(x); INSERT INTO t VALUES('a real backup')",
                         nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(db);
    auto taken = BackupStore(dir / "live.db", dir.path()).take(BackupKind::kManual, {10});
    REQUIRE_MESSAGE(taken.has_value(), taken.error().message);
    return test::read_file(taken->file.path);
  }();
  return bytes;
}

enum class Shape { kFile, kHardLink, kSymlink, kFolder, kFifo };

struct Planned {
  Shape shape = Shape::kFile;
  std::string content;  // a file's bytes, a symlink's target, a folder's inner file
};

class NameGenerator {
 public:
  NameGenerator(std::mt19937_64& random, std::string db) : random_(random), db_(std::move(db)) {}

  int number(int low, int high) { return std::uniform_int_distribution<int>(low, high)(random_); }
  bool chance(double p) { return std::bernoulli_distribution(p)(random_); }
  template <class List>
  std::string pick(const List& list) {
    return list[static_cast<std::size_t>(number(0, static_cast<int>(std::size(list)) - 1))];
  }

  static std::string two(int value) {
    char text[8];
    std::snprintf(text, sizeof text, "%02d", value);
    return text;
  }

  static bool leap(int year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

  std::string stamp() {
    static constexpr std::array kOddYears = {0, 9999, 1600, 1677, 1900, 2000, 2100, 2262, 2263};
    const int year = chance(0.85) ? number(1970, 2099) : kOddYears[number(0, kOddYears.size() - 1)];
    const int month = number(1, 12);
    static constexpr std::array kDays = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const int last = month == 2 && leap(year) ? 29 : kDays[month - 1];
    const int day = chance(0.2) ? last : number(1, last);
    char text[32];
    std::snprintf(text, sizeof text, "%04d", year);
    return text + two(month) + two(day) + "T" + two(number(0, 23)) + two(number(0, 59)) +
           two(chance(0.1) ? 59 : number(0, 59)) + "Z";
  }

  long sequence() {
    if (chance(0.7)) return 1;
    if (chance(0.7)) return number(2, 9);
    return chance(0.1) ? 999999 : number(10, 999999);
  }

  std::string valid(const std::string& kind, const std::string& stamp_text, long sequence_number) {
    return db_ + "." + kind + "." + stamp_text +
           (sequence_number > 1 ? "-" + std::to_string(sequence_number) : "");
  }
  std::string valid() { return valid(pick(kKinds), stamp(), sequence()); }

  // A valid name with one or two things wrong with it.
  std::string near_miss() {
    std::string db = db_, kind = pick(kKinds), stamp_text = stamp(), suffix;
    const long seq = sequence();
    if (seq > 1) suffix = "-" + std::to_string(seq);
    std::string lead, trail, separator = ".";
    const int mutations = chance(0.8) ? 1 : 2;
    for (int m = 0; m < mutations; ++m) {
      switch (number(0, 10)) {
        case 0:
          db = other_db();
          break;
        case 1:
          kind = pick(std::array{"Bak", "BAK", "baks", "ba", "post ", "Post", "MANUAL", "manua",
                                 "backup", "pre", "snapshot", "", "bak.bak", "replaced",
                                 "b\xC3\xA1k"});
          break;
        case 2:
          stamp_text = impossible_stamp();
          break;
        case 3:
          stamp_text = misformatted(stamp_text);
          break;
        case 4:
          suffix = pick(std::array{"-0",   "-1",  "-01",           "-00",
                                   "-001", "-",   "--2",           "-+2",
                                   "-2a",  "- 2", "-1000000",      "-9999999999999999999999",
                                   "_2",   ".2",  "-\xEF\xBC\x92", "-2-3",
                                   "-2 ",  "-02", "-0x2",          "-1e3"});
          break;
        case 5:
          trail = pick(std::array{".tmp", "-journal", "-wal", "-shm", ".4242.tmp",
                                  ".4242.tmp-journal", " ", "~", ".bak", ".gz", "\n", "\t", ".",
                                  ".old", "\xE2\x80\x8B", ".999999999.tmp"});
          break;
        case 6:
          lead = pick(std::array{" ", ".", "~", "x", "\xE2\x80\x8B", "-"});
          break;
        case 7:
          db = lookalike(db);
          break;
        case 8:
          separator = pick(std::array{"_", "-", "..", " ", ",", ". "});
          break;
        case 9: {
          std::string all = lead + db + "." + kind + "." + stamp_text + suffix + trail;
          std::transform(all.begin(), all.end(), all.begin(),
                         [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
          return all;
        }
        default: {  // cut the name short anywhere
          const std::string all = db + "." + kind + "." + stamp_text + suffix;
          return all.substr(0,
                            static_cast<std::size_t>(number(0, static_cast<int>(all.size()) - 1)));
        }
      }
    }
    return lead + db + separator + kind + "." + stamp_text + suffix + trail;
  }

  // Random text, or a soup of the tokens backup names are made of.
  std::string junk() {
    static constexpr std::array kPieces = {".",
                                           "-",
                                           "T",
                                           "Z",
                                           "t",
                                           "z",
                                           " ",
                                           "~",
                                           "0",
                                           "1",
                                           "2",
                                           "9",
                                           "bak",
                                           "post",
                                           "manual",
                                           "tmp",
                                           "journal",
                                           "wal",
                                           "\xC3\xA9",
                                           "\xE6\x97\xA5",
                                           "\xF0\x9F\x98\x80",
                                           "\xFF",
                                           "\x01"};
    std::string text;
    const int parts = number(1, 12);
    for (int i = 0; i < parts; ++i) {
      switch (number(0, 4)) {
        case 0:
          text += db_;
          break;
        case 1:
          text += stamp();
          break;
        case 2:
          text += std::to_string(number(0, 1000000));
          break;
        default:
          text += pick(kPieces);
      }
    }
    if (chance(0.3)) {
      for (int i = number(1, 20); i > 0; --i) text += static_cast<char>(number(0x21, 0x7e));
    }
    return text;
  }

 private:
  std::string other_db() {
    std::vector<std::string> options{"other.db",   db_ + "x", "x" + db_, db_ + ".",
                                     db_ + ".bak", "",        db_ + " ", " " + db_};
    if (db_.size() > 1) {
      options.push_back(db_.substr(0, db_.size() - 1));
      options.push_back(db_.substr(1));
    }
    std::string upper = db_;
    std::transform(upper.begin(), upper.end(), upper.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    if (upper != db_) options.push_back(upper);
    return pick(options);
  }

  std::string impossible_stamp() {
    const std::string year = std::to_string(number(1970, 2099));
    switch (number(0, 8)) {
      case 0:
        return year + pick(std::array{"00", "13", "99"}) + "10T120000Z";
      case 1:
        return year + "01" + pick(std::array{"00", "32", "99"}) + "T120000Z";
      case 2:
        return year + "0230T120000Z";
      case 3:
        return pick(std::array{"2023", "1900", "2100", "2026", "2019"}) +
               std::string("0229T120000Z");
      case 4:
        return year + pick(std::array{"0431", "0631", "0931", "1131"}) + "T120000Z";
      case 5:
        return year + "0101T" + pick(std::array{"24", "25", "99"}) + "0000Z";
      case 6:
        return year + "0101T12" + pick(std::array{"60", "99"}) + "00Z";
      case 7:
        return year + "0101T1200" + pick(std::array{"60", "61", "99"}) + "Z";
      default:
        return year + "1231T235960Z";
    }
  }

  std::string misformatted(std::string text) {
    if (text.size() != 16) return text + "Z";  // already broken by another mutation
    switch (number(0, 10)) {
      case 0:
        text[8] = 't';
        break;
      case 1:
        text[15] = 'z';
        break;
      case 2:
        text[8] = 't';
        text[15] = 'z';
        break;
      case 3:
        text.pop_back();
        break;  // no Z
      case 4:
        text.erase(8, 1);
        break;  // no T
      case 5:
        text.insert(14, "0");
        break;  // a digit too many
      case 6:
        text.erase(static_cast<std::size_t>(number(0, 13)), 1);
        break;  // a digit short
      case 7:
        return text.substr(0, 4) + "-" + text.substr(4, 2) + "-" + text.substr(6, 5) + ":" +
               text.substr(11, 2) + ":" + text.substr(13);  // ISO 8601
      case 8:
        text.insert(static_cast<std::size_t>(number(1, 14)), " ");
        break;
      case 9: {  // a full-width or Arabic-Indic digit in place of an ASCII one
        const auto at = static_cast<std::size_t>(number(0, 7));
        const int digit = text[at] - '0';
        text.replace(at, 1,
                     chance(0.5) ? std::string("\xEF\xBC") + static_cast<char>(0x90 + digit)
                                 : std::string("\xD9") + static_cast<char>(0xA0 + digit));
        break;
      }
      default:
        text = "+" + text;
        break;
    }
    return text;
  }

  // The DB name with one letter swapped for a Unicode look-alike.
  std::string lookalike(std::string db) {
    for (std::size_t i = 0; i < db.size(); ++i) {
      if (db[i] == 'o') return db.replace(i, 1, "\xD0\xBE");   // Cyrillic o
      if (db[i] == 'a') return db.replace(i, 1, "\xD0\xB0");   // Cyrillic a
      if (db[i] == 'e') return db.replace(i, 1, "e\xCC\x81");  // e + combining acute
    }
    return db + "\xE2\x80\x8B";
  }

  std::mt19937_64& random_;
  std::string db_;
};

bool usable_file_name(const std::string& name) {
  return !name.empty() && name != "." && name != ".." && name.size() <= 255 &&
         name.find('/') == std::string::npos && name.find('\0') == std::string::npos;
}

// Entries outside the backup folder that links point at; they must survive.
struct Victims {
  fs::path folder;
  fs::path file() const { return folder / "victim.bin"; }
  fs::path db() const { return folder / "live-elsewhere.db"; }
  fs::path subfolder() const { return folder / "victim-folder"; }
};

void create_entry(const fs::path& folder, const std::string& name, const Planned& planned,
                  const Victims& victims) {
  const auto path = folder / name;
  switch (planned.shape) {
    case Shape::kFile:
      test::write_file(path, planned.content);
      break;
    case Shape::kHardLink:
      fs::create_hard_link(victims.file(), path);
      break;
    case Shape::kSymlink:
      fs::create_symlink(planned.content, path);
      break;
    case Shape::kFolder:
      fs::create_directory(path);
      test::write_file(path / "inside", planned.content);
      break;
    case Shape::kFifo:
      REQUIRE(::mkfifo(path.c_str(), 0600) == 0);
      break;
  }
}

// A plan for an entry under a valid backup name: mostly a real backup.
Planned plan_for_valid_name(NameGenerator& gen, const Victims& victims,
                            const std::vector<std::string>& earlier_names) {
  const int roll = gen.number(0, 99);
  if (roll < 78) return {Shape::kFile, real_backup_bytes()};
  if (roll < 83) return {Shape::kFolder, "a folder under a backup name"};
  if (roll < 86) return {Shape::kFifo, ""};
  if (roll < 90) return {Shape::kHardLink, ""};
  // Symlinks: to a victim outside, to the live DB, nowhere, or to another
  // entry of the folder (which retention may delete, leaving it dangling).
  const std::vector<std::string> targets{
      victims.file().string(),
      victims.db().string(),
      victims.subfolder().string(),
      "does-not-exist",
      "../victims/victim.bin",
      earlier_names.empty() ? "x"
                            : earlier_names[static_cast<std::size_t>(
                                  gen.number(0, static_cast<int>(earlier_names.size()) - 1))]};
  return {Shape::kSymlink, gen.pick(targets)};
}

struct Round {
  std::string kind;
  int keep = 0;
  std::string protect;
};

}  // namespace

TEST_CASE(
    "torture: retention oracle: agrees with the documented names and refuses the near misses") {
  for (const char* name : {"live.db.bak.20260422T142300Z", "live.db.post.20260422T142300Z-3",
                           "live.db.manual.20240229T235959Z", "live.db.bak.22620411T234716Z",
                           "live.db.bak.16770921T001244Z", "live.db.bak.20000229T000000Z-999999"}) {
    CAPTURE(name);
    CHECK(oracle_parse(name, "live.db").has_value());
  }
  for (const char* name : {"live.db",
                           "live.db.bak.notes.txt",
                           "other.db.bak.20260422T142300Z",
                           "live.db.bak.20260422T142300Z.tmp",
                           "live.db.bak.20260422T142300Z.123.tmp",
                           "live.db.bak.20260422T142300Z-1",
                           "live.db.bak.20260422T142300Z-02",
                           "live.db.bak.20260422T142300Z-",
                           "live.db.bak.20260422T142300Zx",
                           "live.db.backup.20260422T142300Z",
                           "xlive.db.bak.20260422T142300Z",
                           "live.dbx.bak.20260422T142300Z",
                           "live.db.bak.2026042T142300Z",
                           "live.db-wal",
                           "live.db.bak.20230229T000000Z",
                           "live.db.bak.19000229T000000Z",
                           "live.db.bak.20261301T000000Z",
                           "live.db.bak.20260230T000000Z",
                           "live.db.bak.20260101T240000Z",
                           "live.db.bak.20260101T000060Z",
                           "live.db.bak.20260101t000000Z",
                           "live.db.bak.20260101T000000z",
                           "live.db.bak.20260101T000000Z-1000000",
                           "live.db.BAK.20260101T000000Z",
                           "live.db.bak.20260101T000000Z\n",
                           "live.db.bak.2026010\xEF\xBC\x91T000000Z",
                           "live.db.bak.99991021T170853Z",
                           "live.db.bak.00000101T000000Z",
                           "live.db.bak.22620411T234717Z",
                           "live.db.bak.16770921T001243Z"}) {
    CAPTURE(name);
    CHECK_FALSE(oracle_parse(name, "live.db").has_value());
  }
  const auto parsed = oracle_parse("live.db.post.20260422T142300Z-3", "live.db");
  REQUIRE(parsed);
  CHECK(parsed->kind == "post");
  CHECK(parsed->stamp == "20260422T142300Z");
  CHECK(parsed->sequence == 3);
}

constexpr const char* kRetentionProperty =
    "torture: retention: among thousands of random names and real backups, deletes exactly the "
    "expected backups and nothing else";

TEST_CASE(kRetentionProperty) {
  const std::string test_name = kRetentionProperty;
  for (const auto seed : torture_mode().seeds(salt_of(test_name), 8, 150)) {
    INFO(how_to_reproduce(test_name, seed));
    std::mt19937_64 random(seed);
    NameGenerator picker(random, "");
    const std::string db = picker.pick(kDbNames);
    CAPTURE(db);
    NameGenerator gen(random, db);

    test::TempDir dir;
    const auto folder = dir / "backups";
    fs::create_directory(folder);
    Victims victims{dir / "victims"};
    fs::create_directory(victims.folder);
    fs::create_directory(victims.subfolder());
    test::write_file(victims.subfolder() / "kept", "must survive");
    test::write_file(victims.file(), "victim bytes " + std::to_string(seed));
    test::write_file(victims.db(), real_backup_bytes());

    // The plan: thousands of names, each once.
    const int total = torture_mode().long_mode ? gen.number(1000, 6000) : gen.number(2000, 3000);
    std::map<std::string, Planned> plan;
    std::vector<std::string> names_so_far;
    while (static_cast<int>(plan.size()) < total) {
      const int roll = gen.number(0, 99);
      std::string name = roll < 30 ? gen.valid() : roll < 75 ? gen.near_miss() : gen.junk();
      if (!usable_file_name(name) || plan.count(name)) continue;
      Planned planned;
      if (oracle_parse(name, db)) {
        planned = plan_for_valid_name(gen, victims, names_so_far);
      } else if (gen.chance(0.25)) {
        planned = {Shape::kFile, real_backup_bytes()};  // a real backup, but not by its name
      } else if (gen.chance(0.05)) {
        planned = {Shape::kSymlink, victims.file().string()};
      } else if (gen.chance(0.03)) {
        planned = {Shape::kFolder, "not a backup"};
      } else {
        planned = {Shape::kFile, "junk " + std::to_string(gen.number(0, 1 << 30))};
      }
      plan[name] = planned;
      names_so_far.push_back(name);
    }
    for (const auto& [name, planned] : plan) create_entry(folder, name, planned, victims);

    const auto folder_before = capture_folder(folder);
    const auto victims_before = capture_folder(victims.folder);
    REQUIRE(folder_before.size() >= plan.size());

    // What the oracle counts as a backup: a regular file (not a symlink)
    // under a valid name. Hard links are regular files.
    std::map<std::string, OracleName> backups;
    for (const auto& [name, planned] : plan) {
      if (planned.shape != Shape::kFile && planned.shape != Shape::kHardLink) continue;
      if (auto parsed = oracle_parse(name, db)) backups.emplace(name, *parsed);
    }
    CAPTURE(backups.size());

    const BackupStore store(dir / db, folder);
    std::set<std::string> all_deleted;
    const int rounds = gen.number(2, 6);
    for (int r = 0; r < rounds; ++r) {
      Round round;
      round.kind = gen.pick(kKinds);
      const auto now = Clock::now();
      std::vector<std::pair<OracleName, std::string>> of_kind;
      for (const auto& [name, parsed] : backups) {
        if (parsed.kind == round.kind &&
            !future_stamp(parsed, folder / name, Clock::to_time_t(now))) {
          of_kind.emplace_back(parsed, name);
        }
      }
      std::sort(of_kind.begin(), of_kind.end(),
                [](const auto& a, const auto& b) { return a.first.newer_than(b.first); });
      const int count = static_cast<int>(of_kind.size());
      round.keep = gen.chance(0.05)  ? 0
                   : gen.chance(0.5) ? gen.number(1, 5)
                                     : gen.number(1, count + 3);
      const int protect_roll = gen.number(0, 9);
      if (protect_roll < 6 && count > 0) {
        round.protect = of_kind[static_cast<std::size_t>(gen.number(0, count - 1))].second;
      } else if (protect_roll < 8) {
        round.protect = names_so_far[static_cast<std::size_t>(
            gen.number(0, static_cast<int>(names_so_far.size()) - 1))];
      } else {
        round.protect = gen.valid(round.kind, gen.stamp(), 1);  // most likely not there
      }
      CAPTURE(r);
      CAPTURE(round.kind);
      CAPTURE(round.keep);
      CAPTURE(round.protect);
      CAPTURE(count);

      // The oracle: keep the newest `keep`, and the protected one wherever
      // it stands; every other backup of the kind goes, but for those with
      // a future stamp. The daily and weekly tiers are off here.
      std::set<std::string> expected;
      for (int i = round.keep; i < count; ++i) {
        const auto& name = of_kind[static_cast<std::size_t>(i)].second;
        if (name != round.protect) expected.insert(name);
      }

      std::vector<std::string> warnings;
      const auto removed = store.enforce_retention(kind_of(round.kind), {round.keep, 0, 0},
                                                   folder / round.protect, now, warnings);
      std::set<std::string> removed_names;
      for (const auto& deleted : removed) {
        CHECK(deleted.path.parent_path() == folder);
        CHECK(to_string(deleted.kind) == round.kind);
        removed_names.insert(deleted.path.filename().string());
      }
      CHECK(removed_names.size() == removed.size());  // nothing reported twice
      // Only the warnings about future stamps, never a failure to delete.
      for (const auto& warning : warnings) {
        CHECK_MESSAGE(warning.find("is stamped") != std::string::npos, warning);
      }

      std::vector<std::string> wrong;
      for (const auto& name : removed_names) {
        if (!expected.count(name)) wrong.push_back("deleted, but should be kept: " + name);
      }
      for (const auto& name : expected) {
        if (!removed_names.count(name)) wrong.push_back("kept, but should be deleted: " + name);
        std::error_code ec;
        if (fs::exists(fs::symlink_status(folder / name, ec))) {
          wrong.push_back("reported deleted, but still there: " + name);
        }
      }
      REQUIRE_MESSAGE(wrong.empty(), first_lines(wrong));
      for (const auto& name : expected) backups.erase(name);
      all_deleted.insert(expected.begin(), expected.end());
    }

    // Everything but what the oracle deleted is exactly as it was: same
    // type, mode, inode, bytes, link target; nothing new; the victims whole.
    const auto differences = folder_differences(folder_before, capture_folder(folder), all_deleted);
    CHECK_MESSAGE(differences.empty(), first_lines(differences));
    const auto victim_differences =
        folder_differences(victims_before, capture_folder(victims.folder));
    CHECK_MESSAGE(victim_differences.empty(), first_lines(victim_differences));
    CHECK(test::read_file(victims.file()) == "victim bytes " + std::to_string(seed));
  }
}

TEST_CASE("torture: the reproduce line names both seeds and escapes commas for the -tc filter") {
  const auto line = how_to_reproduce("torture: a, b", 7);
  CHECK(line.find(" ES_TORTURE_ONLY=7 ") != std::string::npos);
  CHECK(line.find("ES_TORTURE_SEED=" + std::to_string(torture_mode().base_seed)) !=
        std::string::npos);
  CHECK(line.ends_with("-tc='torture: a\\, b'"));
}
