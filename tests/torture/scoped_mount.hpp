#pragma once
// Mounts the torture tests make for themselves, undone when they go out of
// scope: a tiny tmpfs (a disk that fills up for real) and a read-only bind
// mount (a folder that refuses writes even to root).
//
// Mounting needs CAP_SYS_ADMIN. Where it is refused, the caller gets the
// reason and skips its test by name; it never passes quietly. Not thread-safe.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace es::torture {

class ScopedMount {
 public:
  // Mounts a tmpfs of `size_bytes` on the existing empty folder `where`.
  // nullopt with `why_not` set if the system refuses.
  static std::optional<ScopedMount> tmpfs(const std::filesystem::path& where,
                                          std::uintmax_t size_bytes, std::string& why_not);

  // Binds `folder` onto itself read-only: every write below it fails with
  // EROFS, whoever asks.
  static std::optional<ScopedMount> read_only_bind(const std::filesystem::path& folder,
                                                   std::string& why_not);

  ScopedMount(ScopedMount&& other) noexcept;
  ScopedMount& operator=(ScopedMount&&) = delete;
  ScopedMount(const ScopedMount&) = delete;
  ~ScopedMount();  // unmounts (lazily, if something still holds it)

  const std::filesystem::path& path() const { return path_; }

 private:
  explicit ScopedMount(std::filesystem::path path) : path_(std::move(path)) {}
  std::filesystem::path path_;
};

}  // namespace es::torture
