#include "torture/kill_at.hpp"

#include <sstream>

#include "support/test_db.hpp"

namespace es::torture {
namespace fs = std::filesystem;

std::vector<std::string> with_kill_at(const KillAt& kill_at,
                                      const std::vector<std::string>& supervisor_argv) {
  std::vector<std::string> argv{
      "/usr/bin/env", std::string("LD_PRELOAD=") + ES_KILL_AT_SHIM,
      // /proc/self/exe names the binary with every link resolved.
      "ES_KILL_AT_EXE=" + fs::canonical(supervisor_argv.at(0)).string(),
      "ES_KILL_AT_MATCH=" + kill_at.patterns, "ES_KILL_AT_CALL=" + std::to_string(kill_at.call),
      std::string("ES_KILL_AT_WHEN=") + (kill_at.after ? "after" : "before"),
      "ES_KILL_AT_TRACE=" + kill_at.trace.string()};
  argv.insert(argv.end(), supervisor_argv.begin(), supervisor_argv.end());
  return argv;
}

std::vector<ShimCall> read_trace(const fs::path& trace) {
  std::vector<ShimCall> calls;
  std::error_code ec;
  if (!fs::exists(trace, ec)) return calls;
  std::istringstream in(test::read_file(trace));
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    ShimCall call;
    std::string first;
    words >> first;
    if (first == "kill") {
      call.kill = true;
      words >> first;
    }
    call.number = std::stol(first);
    words >> call.call >> call.file;
    calls.push_back(call);
  }
  return calls;
}

const ShimCall* kill_call(const std::vector<ShimCall>& trace) {
  for (const auto& call : trace) {
    if (call.kill) return &call;
  }
  return nullptr;
}

}  // namespace es::torture
