#pragma once
// A fast digest of a file's bytes: XXH3-128 from xxHash (Debian's
// libxxhash-dev, compiled in from its header, so the Windows build needs
// the header alone). It tells a changed file from an unchanged one: another
// writer, an older copy put in place. It is not cryptographic and does not
// stand against someone who crafts a collision on purpose.
//
// Reads the file in 1 MiB chunks, read-only; never changes it. Blocking; one
// call per thread, no shared state. About memory speed: on a 1 GiB DB the
// time is that of reading the file (see bench/RESULTS.md).

#include <cstddef>
#include <filesystem>
#include <memory>
#include <stop_token>
#include <string>

#include "common/result.hpp"

namespace es {

// The name the digest goes by in the history and the summary.
inline constexpr const char* kContentDigestName = "xxh3_128";

// The digest of `file` as 32 lowercase hex digits (XXH128's canonical,
// big-endian form). kIoError naming the path if the file cannot be read to
// its end; kUnclean if `stop` was requested before the end.
// The same digest, over bytes fed in pieces: a copy hashes what it writes.
class ContentDigest {
 public:
  ContentDigest();
  ~ContentDigest();
  ContentDigest(ContentDigest&&) noexcept;
  ContentDigest& operator=(ContentDigest&&) noexcept;
  void update(const void* data, std::size_t size);
  // 32 lowercase hex digits, as digest_file() gives them.
  std::string hex() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

[[nodiscard]] Result<std::string> digest_file(const std::filesystem::path& file,
                                              std::stop_token stop = {});

}  // namespace es
