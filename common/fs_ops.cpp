#include "common/fs_ops.hpp"

// What fs_ops offers on every platform alike, on top of the platform files
// (fs_ops_posix.cpp, fs_ops_windows.cpp).

namespace es {
namespace fs = std::filesystem;

Result<void> rename_no_replace(const fs::path& from, const fs::path& to) {
  auto renamed = rename_if_free(from, to);
  if (!renamed) return renamed.error();
  if (!*renamed) {
    return Error{ExitCode::kIoError, "rename of " + from.string() + " to " + to.string() +
                                         " failed: " + to.string() + " already exists"};
  }
  return {};
}

}  // namespace es
