#include <sys/stat.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <memory>
#include <optional>

#include "common/real_path.hpp"

namespace es {
namespace fs = std::filesystem;

namespace {

// As many links as the kernel follows in one lookup (MAXSYMLINKS).
constexpr int kMaxLinks = 40;

std::optional<fs::path> resolved(const fs::path& path) {
  const std::unique_ptr<char, decltype(&std::free)> real(::realpath(path.c_str(), nullptr),
                                                         &std::free);
  if (!real) return std::nullopt;
  return fs::path(real.get());
}

fs::path real_path_of(const fs::path& path, int links_left) {
  struct stat info {};
  if (::stat(path.c_str(), &info) == 0) {
    if (!S_ISREG(info.st_mode)) return path;
    return resolved(path).value_or(path);
  }
  if (errno != ENOENT) return path;
  struct stat link {};
  if (::lstat(path.c_str(), &link) == 0) {
    // A dangling symlink: open(O_CREAT) through it, as SQLite does, creates
    // the file it points to, so that is the DB's real name.
    if (!S_ISLNK(link.st_mode) || links_left == 0) return path;
    std::error_code ec;
    const auto target = fs::read_symlink(path, ec);
    if (ec) return path;
    return real_path_of(path.parent_path() / target, links_left - 1);
  }
  const auto folder = resolved(path.parent_path());
  return folder ? *folder / path.filename() : path;
}

}  // namespace

fs::path real_path(const fs::path& path) { return real_path_of(path, kMaxLinks); }

}  // namespace es
