// libFuzzer entry for the backup-name parser: every input is
// "<db file name>\n<candidate name>". The invariants are in
// backup_name_fuzz_oracle.hpp.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz/backup_name_fuzz_oracle.hpp"
#include "fuzz/fuzz_target.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  return es::fuzz::crash_on_violation("backup_name", es::fuzz::backup_name_violation(input));
}
