#pragma once
// Real SQLite files for tests, and real damage to them: bytes flipped in real
// pages, zeroed pages, truncation. Plus a runner for the real executables.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace es::test {

// Creates a WAL-mode DB with a table `t(id, payload)` holding `rows` rows of
// `payload_bytes` each, plus an index, and checkpoints it into the main file.
void make_db(const std::filesystem::path& path, int rows = 200, int payload_bytes = 200);

std::int64_t count_rows(const std::filesystem::path& path, const std::string& table = "t");
int page_size_of(const std::filesystem::path& path);

// Overwrites `length` bytes at `offset` with `byte` or with pseudo-random garbage.
void overwrite(const std::filesystem::path& path, std::uintmax_t offset, std::size_t length,
               int byte = -1);
void truncate_to(const std::filesystem::path& path, std::uintmax_t size);

std::string read_file(const std::filesystem::path& path);
void write_file(const std::filesystem::path& path, const std::string& content);

struct CommandResult {
  int exit_code = -1;  // -1 if killed by a signal
  int signal = 0;
  std::string out;
  std::string err;
};

// Runs argv (no shell) to completion in `cwd`, capturing stdout and stderr.
CommandResult run_command(const std::vector<std::string>& argv,
                          const std::filesystem::path& cwd = std::filesystem::current_path());

// run_command, but as the unprivileged user `nobody` when the tests run as
// root, so that file permissions apply to the command.
CommandResult run_command_unprivileged(const std::vector<std::string>& argv,
                                       const std::filesystem::path& cwd = "/");

// The engine-supervisor binary and the demo engine CMake built.
std::string supervisor_binary();
std::string demo_engine_binary();

}  // namespace es::test
