// libFuzzer entry for the config loader: every input is a whole config file.
// The invariants are in config_fuzz_oracle.hpp.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz/config_fuzz_oracle.hpp"
#include "fuzz/fuzz_target.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  return es::fuzz::crash_on_violation("config", es::fuzz::config_violation(input));
}
