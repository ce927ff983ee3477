#pragma once
// A file that appears under its final name complete or not at all.
//
// create() makes a private temporary beside the final path; the caller (or
// SQLite) fills it; commit() syncs it, renames it into place and syncs the
// folder. If commit() never ran, the destructor removes the temporary, so an
// interrupted write never leaves a partial file under the final name.
// Move-only; not thread-safe.

#include <filesystem>
#include <functional>
#include <string_view>

#include "common/result.hpp"

namespace es {

class AtomicFile {
 public:
  enum class Replace { kNever, kAllowed };

  // Creates `<final>.<pid>.tmp` exclusively with mode 0600. Fails if the
  // folder is missing or unwritable, or the temporary name is taken.
  [[nodiscard]] static Result<AtomicFile> create(std::filesystem::path final_path);

  AtomicFile(AtomicFile&& other) noexcept;
  AtomicFile& operator=(AtomicFile&&) = delete;
  AtomicFile(const AtomicFile&) = delete;
  ~AtomicFile();

  const std::filesystem::path& temp_path() const { return temp_; }
  const std::filesystem::path& final_path() const { return final_; }

  // Replaces the temporary's content with `data`.
  [[nodiscard]] Result<void> write(std::string_view data);

  // Sync, rename into place, sync the folder. With Replace::kNever an
  // existing final file makes it fail and stay untouched.
  [[nodiscard]] Result<void> commit(Replace replace);

  // commit(Replace::kNever) under the first of name_at(0), name_at(1), …,
  // name_at(tries - 1) that nothing has. The rename is the claim, so a name
  // another process takes meanwhile moves on to the next one instead of
  // failing after the whole copy. final_path() is then the name it got.
  [[nodiscard]] Result<void> commit_first_free(
      const std::function<std::filesystem::path(int)>& name_at, int tries);

 private:
  AtomicFile(std::filesystem::path final_path, std::filesystem::path temp_path);
  std::filesystem::path final_;
  std::filesystem::path temp_;
  bool done_ = false;
};

// Writes `data` to `path` through an AtomicFile, replacing any old content.
[[nodiscard]] Result<void> write_file_atomically(const std::filesystem::path& path,
                                                 std::string_view data);

}  // namespace es
