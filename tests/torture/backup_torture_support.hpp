#pragma once
// What the backup torture tests (disk full, hostile folder, retention
// property) share: how to reproduce an iteration, a run config with a
// chosen backup folder, and a real verified backup to copy around.
// Thread-compatible; no shared state.

#include <cstdint>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "support/run_fixture.hpp"
#include "torture/folder_state.hpp"

namespace es::torture {

// "ES_TORTURE_SEED=<base> ES_TORTURE_ONLY=<seed> .../es_torture -tc='<test>'":
// the command line that runs just this iteration again.
std::string how_to_reproduce(const std::string& test_name, std::uint64_t seed);

// Writes `f`'s config for a run of the demo engine with `engine_args` that
// writes its backups to `backup_dir` and keeps `retention_count` of each kind
// (the daily and weekly tiers off, so `retention_victims` is the whole rule).
void write_run_config(const test::RunFixture& f, const std::filesystem::path& backup_dir,
                      int retention_count, const std::vector<std::string>& engine_args);

// The ended_at of the newest row in the demo engine's `sessions` table:
// empty while that session is open.
std::string sessions_ended_at(const std::filesystem::path& db);

// Whether the summary's db_health.warnings holds exactly `text`.
bool has_warning(const nlohmann::json& health, const std::string& text);

bool contains(const std::string& text, const std::string& part);

// The backups of `kind` in `folder` (names as keys) that retention at
// `keep` deletes once a newer one is written: every regular file under a
// valid name of that kind but the newest keep - 1. Decided by the oracle.
std::set<std::string> retention_victims(const FolderState& folder, const std::string& db_file,
                                        const std::string& kind, int keep);

// Joins up to `limit` lines for a failure message, noting how many more.
std::string first_lines(const std::vector<std::string>& lines, std::size_t limit = 20);

}  // namespace es::torture
