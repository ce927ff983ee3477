#include "common/wal_evidence.hpp"

#include <doctest/doctest.h>

#include <cstring>
#include <nlohmann/json.hpp>

#include "support/temp_dir.hpp"
#include "support/test_db.hpp"

namespace es {
namespace fs = std::filesystem;
using test::TempDir;

namespace {

using test::side;

// A DB a killed engine left: 300 rows committed into its -wal in 3
// transactions, on top of 100 in the main file.
fs::path killed_writer_db(const TempDir& dir) {
  const auto db = dir / "live.db";
  test::make_db(db, 100);
  test::commit_in_wal_only(db, 300, 3);
  return db;
}

}  // namespace

TEST_CASE("wal_evidence: a DB with no side file has no WAL to lose") {
  TempDir dir;
  const auto db = dir / "live.db";
  test::make_db(db, 50);
  const auto e = read_wal_evidence(db);
  CHECK(e.verdict == WalVerdict::kNoWal);
  CHECK_FALSE(e.refuses());
  CHECK(e.frames_pending == 0);
  CHECK_FALSE(e.shm.present);
  CHECK_FALSE(e.wal.present);
}

TEST_CASE("wal_evidence: a killed writer's -wal holds every frame its -shm records") {
  TempDir dir;
  const auto db = killed_writer_db(dir);
  const auto e = read_wal_evidence(db);
  CHECK(e.verdict == WalVerdict::kIntact);
  CHECK_FALSE(e.refuses());
  REQUIRE(e.shm.header);
  CHECK(e.shm.copies_agree);
  CHECK(e.shm.header->page_size == static_cast<std::uint32_t>(test::page_size_of(db)));
  CHECK(e.shm.header->max_frame > 3);
  CHECK(e.shm.backfilled == 0);
  CHECK(e.frames_pending == e.shm.header->max_frame);
  CHECK(e.wal.header_ok);
  CHECK(e.wal.valid_frames >= e.shm.header->max_frame);
  CHECK(e.wal.last_commit_frame == e.shm.header->max_frame);
  CHECK(std::equal(std::begin(e.wal.salt), std::end(e.wal.salt), std::begin(e.shm.header->salt)));
}

TEST_CASE("wal_evidence: the incident: a 0-byte -wal beside a -shm that records commits") {
  TempDir dir;
  const auto db = killed_writer_db(dir);
  const auto before = read_wal_evidence(db);
  REQUIRE(before.shm.header);
  const auto frames = before.shm.header->max_frame;
  test::truncate_to(side(db, "-wal"), 0);
  const auto files = test::folder_contents(dir.path());

  const auto e = read_wal_evidence(db);
  CHECK(e.verdict == WalVerdict::kLost);
  CHECK(e.refuses());
  CHECK(e.frames_lost == frames);
  CHECK(e.bytes_lost == std::uint64_t(frames) * test::page_size_of(db));
  CHECK(e.cause == "the -wal is 0 bytes");
  const auto text = describe_loss(e);
  CHECK(text.find(std::to_string(frames) + " frames") != std::string::npos);
  CHECK(text.find("last seen") != std::string::npos);
  CHECK(text.find("live.db-shm") != std::string::npos);
  const auto json = to_json(e);
  CHECK(json["verdict"] == "lost");
  CHECK(json["frames_lost"] == frames);
  CHECK(json["shm"]["mxframe"] == frames);
  // Reading is all it does: the evidence is still there.
  CHECK(test::folder_contents(dir.path()) == files);
}

TEST_CASE("wal_evidence: a missing -wal, a short one, a corrupt frame and other salts are losses") {
  TempDir dir;
  const auto db = killed_writer_db(dir);
  const auto good = read_wal_evidence(db);
  REQUIRE(good.shm.header);
  const auto frames = good.shm.header->max_frame;
  const auto page = static_cast<std::uintmax_t>(test::page_size_of(db));
  const auto wal_bytes = test::read_file(side(db, "-wal"));

  SUBCASE("missing") {
    fs::remove(side(db, "-wal"));
    const auto e = read_wal_evidence(db);
    CHECK(e.verdict == WalVerdict::kLost);
    CHECK(e.frames_lost == frames);
    CHECK(e.cause == "the -wal is missing");
  }
  SUBCASE("shorter than its frames need: the frames after the last whole commit are gone") {
    test::truncate_to(side(db, "-wal"), 32 + (frames - 1) * (24 + page));
    const auto e = read_wal_evidence(db);
    CHECK(e.verdict == WalVerdict::kLost);
    CHECK(e.frames_lost > 0);
    CHECK(e.frames_lost < frames);  // the first two commits are still whole
    CHECK(e.cause.find("need") != std::string::npos);
  }
  SUBCASE("a flipped byte in a frame's page fails the running checksum from there on") {
    test::overwrite(side(db, "-wal"), 32 + 2 * (24 + page) + 24 + 100, 8);
    const auto e = read_wal_evidence(db);
    CHECK(e.verdict == WalVerdict::kLost);
    CHECK(e.wal.valid_frames == 2);
    CHECK(e.cause.find("checksums from frame 3") != std::string::npos);
  }
  SUBCASE("another session's -wal in its place") {
    TempDir other;
    const auto other_db = killed_writer_db(other);
    fs::remove(side(db, "-wal"));  // copy_file cannot overwrite on Windows (libstdc++ 12)
    fs::copy_file(side(other_db, "-wal"), side(db, "-wal"));
    const auto e = read_wal_evidence(db);
    CHECK(e.verdict == WalVerdict::kLost);
    CHECK(e.frames_lost == frames);
    CHECK(e.cause.find("other salts") != std::string::npos);
  }
  SUBCASE("a header that is not a WAL header") {
    test::overwrite(side(db, "-wal"), 0, 32, 0);
    const auto e = read_wal_evidence(db);
    CHECK(e.verdict == WalVerdict::kLost);
    CHECK(e.cause.find("not a valid WAL header") != std::string::npos);
  }
  SUBCASE("frames already checkpointed are not lost with the -wal") {
    // nBackfill = mxFrame: every frame is in the main file too.
    auto shm = test::read_file(side(db, "-shm"));
    std::uint32_t backfill = frames;
    std::memcpy(shm.data() + 96, &backfill, 4);
    test::write_file(side(db, "-shm"), shm);
    test::truncate_to(side(db, "-wal"), 0);
    const auto e = read_wal_evidence(db);
    CHECK(e.verdict == WalVerdict::kNoWal);
    CHECK(e.frames_pending == 0);
    CHECK_FALSE(e.refuses());
  }
  CHECK(wal_bytes.size() > 32);
}

TEST_CASE("wal_evidence: the -shm's newer header copy is believed, and a torn one is skipped") {
  TempDir dir;
  const auto db = killed_writer_db(dir);
  const auto frames = read_wal_evidence(db).shm.header->max_frame;
  test::truncate_to(side(db, "-wal"), 0);

  SUBCASE("copy 1 torn: copy 0 still records the frames") {
    test::overwrite(side(db, "-shm"), 48 + 16, 4);
    const auto e = read_wal_evidence(db);
    CHECK_FALSE(e.shm.copies_agree);
    CHECK_FALSE(e.shm.copies[1].checksum_ok);
    REQUIRE(e.shm.header);
    CHECK(e.shm.header->max_frame == frames);
    CHECK(e.verdict == WalVerdict::kLost);
  }
  SUBCASE("both copies torn: no record to go by, no loss claimed") {
    test::overwrite(side(db, "-shm"), 16, 4);
    test::overwrite(side(db, "-shm"), 48 + 16, 4);
    const auto e = read_wal_evidence(db);
    CHECK_FALSE(e.shm.header);
    CHECK(e.verdict == WalVerdict::kNoWal);
    CHECK(to_json(e)["shm"]["header"] == "unusable");
  }
}

TEST_CASE("wal_evidence: a -wal with commits and no -shm is rebuilt by SQLite, not lost") {
  TempDir dir;
  const auto db = killed_writer_db(dir);
  fs::remove(side(db, "-shm"));
  const auto e = read_wal_evidence(db);
  CHECK(e.verdict == WalVerdict::kUnindexed);
  CHECK_FALSE(e.refuses());
  CHECK(e.wal.last_commit_frame > 0);
}

TEST_CASE("wal_evidence: a -wal with commits beside an empty main file is orphaned") {
  TempDir dir;
  const auto db = killed_writer_db(dir);
  test::truncate_to(db, 0);
  const auto e = read_wal_evidence(db);
  CHECK(e.verdict == WalVerdict::kOrphaned);
  CHECK(e.refuses());
  CHECK(e.frames_orphaned > 0);
  CHECK(describe_loss(e).find("deletes such a -wal") != std::string::npos);
}

}  // namespace es
