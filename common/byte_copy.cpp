#include "common/byte_copy.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>

#include "common/content_digest.hpp"
#include "common/fs_ops.hpp"

namespace es {
namespace fs = std::filesystem;

namespace {

// As content_digest.cpp: the per-read cost vanishes, the chunk stays in cache
// while it is hashed and written.
constexpr std::size_t kChunkBytes = 1 << 20;
constexpr std::size_t kHeaderBytes = 100;
constexpr std::array<char, 16> kMagic = {'S', 'Q', 'L', 'i', 't', 'e', ' ', 'f',
                                         'o', 'r', 'm', 'a', 't', ' ', '3', '\0'};
constexpr std::size_t kWriteVersion = 18;  // 1 rollback journal, 2 WAL
constexpr std::size_t kReadVersion = 19;

bool read_header(const fs::path& file, std::array<char, kHeaderBytes>& header) {
  std::ifstream in(file, std::ios::binary);
  return in.read(header.data(), header.size()) && std::equal(kMagic.begin(), kMagic.end(), header.begin());
}

// The page size from the header (1 means 65536), for progress in pages.
std::uintmax_t page_size_of(const std::array<char, kHeaderBytes>& header) {
  const auto raw = static_cast<unsigned>(static_cast<unsigned char>(header[16]) << 8 |
                                         static_cast<unsigned char>(header[17]));
  return raw == 1 ? 65536 : (raw >= 512 ? raw : 4096);
}

Error failed(const fs::path& source, const fs::path& target, const std::string& why) {
  return Error{ExitCode::kIoError,
               "backup of " + source.string() + " to " + target.string() + " failed: " + why};
}

// A failed write of the copy, with the next step when the disk is full.
Error write_failed(const fs::path& source, const fs::path& target, int error_number) {
  std::string why = "writing the copy failed (" + os_error_text(error_number) + ")";
  if (error_number == ENOSPC) {
    why += ": ENOSPC. The disk that holds " + target.parent_path().string() +
           " is full: free some space there first";
  }
  return failed(source, target, why);
}

}  // namespace

bool byte_copy_possible(const fs::path& source) {
  std::array<char, kHeaderBytes> header{};
  return read_header(source, header);
}

Result<ByteCopy> copy_db_bytes(const fs::path& source, const fs::path& target,
                               const ByteCopyProgress& progress, std::stop_token stop) {
  std::ifstream in(source, std::ios::binary);
  if (!in) return failed(source, target, "cannot open the DB (" + os_error_text(errno) + ")");
  std::ofstream out(target, std::ios::binary | std::ios::trunc);
  if (!out) return failed(source, target, "cannot open the copy (" + os_error_text(errno) + ")");
  std::error_code ec;
  const auto total_bytes = fs::file_size(source, ec);
  const auto buffer = std::make_unique<char[]>(kChunkBytes);
  ContentDigest written;
  ByteCopy copy;
  std::uintmax_t page_size = 4096;
  while (in) {
    if (stop.stop_requested()) {
      return Error{ExitCode::kUnclean, "backup of " + source.string() + " to " + target.string() +
                                           " abandoned: a stop was requested"};
    }
    in.read(buffer.get(), static_cast<std::streamsize>(kChunkBytes));
    const auto got = static_cast<std::size_t>(in.gcount());
    if (got == 0) break;
    if (copy.bytes == 0 && got >= kHeaderBytes) {
      std::array<char, kHeaderBytes> header{};
      std::memcpy(header.data(), buffer.get(), kHeaderBytes);
      page_size = page_size_of(header);
      if (header[kWriteVersion] == 2 && header[kReadVersion] == 2) {
        buffer[kWriteVersion] = 1;
        buffer[kReadVersion] = 1;
      }
    }
    written.update(buffer.get(), got);
    errno = 0;
    if (!out.write(buffer.get(), static_cast<std::streamsize>(got))) {
      return write_failed(source, target, errno);
    }
    copy.bytes += got;
    if (progress && !ec) {
      const auto total = static_cast<int>(total_bytes / page_size);
      const auto done = static_cast<int>(copy.bytes / page_size);
      progress(std::max(0, total - done), total);
    }
  }
  if (in.bad() || !in.eof()) {
    return failed(source, target, "reading the DB failed (" + os_error_text(errno) + ")");
  }
  errno = 0;
  out.close();
  if (!out) return write_failed(source, target, errno);
  copy.digest = written.hex();
  auto read_back = digest_file(target, stop);
  if (!read_back) return read_back.error();
  if (*read_back != copy.digest) {
    return failed(source, target,
                  std::string("the copy reads back different from what was written (") +
                      kContentDigestName + " " + *read_back + ", written " + copy.digest + ")");
  }
  return copy;
}

}  // namespace es
