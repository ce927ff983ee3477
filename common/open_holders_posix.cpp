#include <sys/stat.h>
#include <unistd.h>

#include <optional>

#include "common/db_location.hpp"
#include "common/file_identity.hpp"

namespace es {
namespace fs = std::filesystem;

std::vector<OpenHolder> find_open_holders(const std::vector<fs::path>& files) {
  // By identity, not by name: a hard link, a bind mount or a symlink opens
  // the very same file under a name that reads otherwise in /proc.
  std::vector<std::optional<FileIdentity>> wanted;
  bool any = false;
  for (const auto& file : files) {
    const auto stamp = stamp_file(file);
    wanted.push_back(stamp && *stamp ? std::optional((*stamp)->identity) : std::nullopt);
    any = any || wanted.back().has_value();
  }
  std::vector<OpenHolder> holders;
  if (!any) return holders;  // nothing can hold a file that is not there
  const long self = static_cast<long>(::getpid());
  std::error_code ec;
  for (fs::directory_iterator proc("/proc", ec), end; !ec && proc != end; proc.increment(ec)) {
    const auto name = proc->path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    const long pid = std::stol(name);
    if (pid == self) continue;
    // Processes come and go while we look, and others' fds may be closed to
    // us: every error here just means "nothing to see".
    std::error_code fd_error;
    for (fs::directory_iterator fd(proc->path() / "fd", fd_error), fd_end; !fd_error && fd != fd_end;
         fd.increment(fd_error)) {
      std::error_code link_error;
      const auto target = fs::read_symlink(fd->path(), link_error);
      // Pipes, sockets and anonymous inodes read "pipe:[…]" and the like:
      // only a path can be one of our files, and only those are stat'ed.
      if (link_error || !target.is_absolute()) continue;
      struct stat info {};
      if (::stat(fd->path().c_str(), &info) != 0) continue;
      const FileIdentity identity{static_cast<std::uint64_t>(info.st_dev),
                                  static_cast<std::uint64_t>(info.st_ino)};
      for (std::size_t i = 0; i < wanted.size(); ++i) {
        if (wanted[i] != identity) continue;
        std::error_code exe_error;
        const auto exe = fs::read_symlink(proc->path() / "exe", exe_error);
        holders.push_back({pid, exe_error ? "unknown executable" : exe.string(), files[i], target});
      }
    }
  }
  return holders;
}

}  // namespace es
