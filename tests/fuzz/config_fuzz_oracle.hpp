#pragma once
// The invariants the config fuzzer checks on every input, written from the
// documented rules (docs/configuration.md), never from config.cpp:
//
//  - parse_config never throws;
//  - it rejects with ExitCode::kConfigInvalid and a message that starts
//    "config error in <source> line N" with N a line of the input;
//  - or it accepts, and then, read independently with yaml-cpp, the input is
//    one YAML document holding a mapping of known sections, each a mapping
//    of known keys, none twice; database.path is there; every value written
//    is the value in the Config; and render_config() parsed again gives the
//    same Config (so nothing was accepted with a silent default).
//
// The loader is a parameter so the tests can hand it a broken one and see
// the oracle object. Pure functions; thread-safe.

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "common/config.hpp"

namespace es::fuzz {

// The config file every fuzz input pretends to be.
inline const std::filesystem::path kFuzzConfigSource = "/fuzz/engine-supervisor.yaml";

struct ConfigLoader {
  std::function<Result<Config>(std::string_view, const std::filesystem::path&)> parse =
      parse_config;
  std::function<std::string(const Config&)> render = render_config;
};

// What `loader` did wrong with `yaml_text`, or nullopt when every invariant
// holds. Never throws.
[[nodiscard]] std::optional<std::string> config_violation(std::string_view yaml_text,
                                                          const ConfigLoader& loader = {});

}  // namespace es::fuzz
