#include <unistd.h>

#include "common/db_location.hpp"

namespace es {
namespace fs = std::filesystem;

std::vector<OpenHolder> find_open_holders(const std::vector<fs::path>& files) {
  std::vector<OpenHolder> holders;
  std::vector<std::string> wanted;
  for (const auto& file : files) {
    std::error_code ec;
    const auto canonical = fs::weakly_canonical(file, ec);
    wanted.push_back((ec ? file : canonical).string());
  }
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
      const auto target = fs::read_symlink(fd->path(), link_error).string();
      if (link_error) continue;
      for (std::size_t i = 0; i < wanted.size(); ++i) {
        if (target != wanted[i]) continue;
        std::error_code exe_error;
        const auto exe = fs::read_symlink(proc->path() / "exe", exe_error);
        holders.push_back({pid, exe_error ? "unknown executable" : exe.string(), files[i]});
      }
    }
  }
  return holders;
}

}  // namespace es
