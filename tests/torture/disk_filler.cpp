#include "torture/disk_filler.hpp"

#include <fcntl.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace es::torture {
namespace fs = std::filesystem;

std::uintmax_t free_bytes(const fs::path& folder) {
  struct statvfs info {};
  if (::statvfs(folder.c_str(), &info) != 0) return 0;
  return static_cast<std::uintmax_t>(info.f_bavail) * info.f_frsize;
}

std::string fill_filesystem(const fs::path& file, std::uintmax_t leave_bytes) {
  const auto available = free_bytes(file.parent_path());
  if (available <= leave_bytes) return {};
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return "open of " + file.string() + ": " + std::strerror(errno);
  const off_t at = ::lseek(fd, 0, SEEK_END);
  // tmpfs allocates in pages: ask for what is free beyond leave_bytes,
  // rounded up to a page, so no more than leave_bytes stay free.
  const auto grow = static_cast<off_t>((available - leave_bytes + 4095) & ~std::uintmax_t{4095});
  std::string problem;
  if (::fallocate(fd, 0, at, grow) != 0) {
    problem = "fallocate of " + file.string() + ": " + std::strerror(errno);
  }
  ::close(fd);
  return problem;
}

std::unique_ptr<DiskFiller> DiskFiller::start(Plan plan, std::string& why_not) {
  std::unique_ptr<DiskFiller> filler(new DiskFiller);
  filler->pending_triggers_.insert(plan.triggers.begin(), plan.triggers.end());
  const auto folder = plan.watched_folder;
  filler->interceptor_ = OpenInterceptor::start(
      folder,
      [filler = filler.get(), plan = std::move(plan)](const fs::path& opened) {
        return filler->on_open(plan, opened);
      },
      why_not);
  if (!filler->interceptor_) return nullptr;
  return filler;
}

std::string DiskFiller::on_open(const Plan& plan, const fs::path& opened) {
  const auto name = opened.filename().string();
  if (!name.ends_with(".tmp")) return {};
  {
    std::lock_guard lock(mutex_);
    const auto trigger =
        std::find_if(pending_triggers_.begin(), pending_triggers_.end(),
                     [&](const std::string& t) { return name.find(t) != std::string::npos; });
    if (trigger == pending_triggers_.end()) return {};
    pending_triggers_.erase(trigger);
  }
  auto problem = fill_filesystem(plan.filler_file, plan.leave_bytes);
  std::lock_guard lock(mutex_);
  fills_.push_back(Fill{opened.string(), free_bytes(plan.filler_file.parent_path())});
  return problem;
}

std::vector<DiskFiller::Fill> DiskFiller::fills() const {
  std::lock_guard lock(mutex_);
  return fills_;
}

}  // namespace es::torture
