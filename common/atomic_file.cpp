#include "common/atomic_file.hpp"

#include <fstream>

#include "common/fs_ops.hpp"
#include "common/os_info.hpp"

namespace es {
namespace fs = std::filesystem;

Result<AtomicFile> AtomicFile::create(fs::path final_path) {
  fs::path temp = final_path;
  // Appended piece by piece: GCC 12 warns falsely (-Wrestrict) on "." + string.
  temp += ".";
  temp += std::to_string(current_process_id());
  temp += ".tmp";
  auto created = create_private_file(temp);
  if (!created) return created.error();
  return AtomicFile(std::move(final_path), std::move(temp));
}

AtomicFile::AtomicFile(fs::path final_path, fs::path temp_path)
    : final_(std::move(final_path)), temp_(std::move(temp_path)) {}

AtomicFile::AtomicFile(AtomicFile&& other) noexcept
    : final_(std::move(other.final_)), temp_(std::move(other.temp_)), done_(other.done_) {
  other.done_ = true;
}

AtomicFile::~AtomicFile() {
  if (done_) return;
  std::error_code ignored;  // best effort: the temporary is ours and worthless
  fs::remove(temp_, ignored);
}

Result<void> AtomicFile::write(std::string_view data) {
  std::ofstream out(temp_, std::ios::binary | std::ios::trunc);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
  out.flush();
  if (!out) {
    return Error{ExitCode::kIoError, "write of " + temp_.string() + " failed: " +
                                         os_error_text(errno)};
  }
  return {};
}

Result<void> AtomicFile::commit(Replace replace) {
  if (auto synced = sync_file(temp_); !synced) return synced.error();
  auto renamed = replace == Replace::kNever ? rename_no_replace(temp_, final_)
                                            : rename_replace(temp_, final_);
  if (!renamed) return renamed.error();
  done_ = true;
  return sync_folder(final_.parent_path());
}

Result<void> AtomicFile::commit_first_free(const std::function<fs::path(int)>& name_at,
                                           int tries) {
  if (auto synced = sync_file(temp_); !synced) return synced.error();
  for (int i = 0; i < tries; ++i) {
    const auto name = name_at(i);
    auto claimed = rename_if_free(temp_, name);
    if (!claimed) return claimed.error();
    if (!*claimed) continue;
    final_ = name;
    done_ = true;
    return sync_folder(final_.parent_path());
  }
  return Error{ExitCode::kIoError, "no free name for " + temp_.string() + ": " +
                                       name_at(0).string() + " and the next " +
                                       std::to_string(tries - 1) + " are all taken"};
}

Result<void> write_file_atomically(const fs::path& path, std::string_view data) {
  auto file = AtomicFile::create(path);
  if (!file) return file.error();
  if (auto written = file->write(data); !written) return written.error();
  return file->commit(AtomicFile::Replace::kAllowed);
}

}  // namespace es
