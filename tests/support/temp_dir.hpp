#pragma once
// A fresh folder under the system temp dir that removes itself (ninja's
// ScopedTempDir). Tests never use fixed paths.

#include <filesystem>

namespace es::test {

class TempDir {
 public:
  TempDir();
  TempDir(const TempDir&) = delete;
  ~TempDir();
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::filesystem::path& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

}  // namespace es::test
