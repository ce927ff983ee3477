#pragma once
// What the backup torture tests (disk full, hostile folder, retention
// property) share: how to reproduce an iteration, a run config with a
// chosen backup folder, and a real verified backup to copy around.
// Thread-compatible; no shared state.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "support/run_fixture.hpp"

namespace es::torture {

// "ES_TORTURE_SEED=<base> ES_TORTURE_ONLY=<seed> .../es_torture -tc='<test>'":
// the command line that runs just this iteration again.
std::string how_to_reproduce(const std::string& test_name, std::uint64_t seed);

// Writes `f`'s config for a run of the demo engine with `engine_args` that
// writes its backups to `backup_dir` and keeps `retention_count` of each kind.
void write_run_config(const test::RunFixture& f, const std::filesystem::path& backup_dir,
                      int retention_count, const std::vector<std::string>& engine_args);

// Joins up to `limit` lines for a failure message, noting how many more.
std::string first_lines(const std::vector<std::string>& lines, std::size_t limit = 20);

}  // namespace es::torture
