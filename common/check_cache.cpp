#include "common/check_cache.hpp"

#include <algorithm>
#include <array>
#include <fstream>

namespace es {
namespace fs = std::filesystem;

namespace {

// Enough samples that an index share of a few percent shows, few enough that
// the reads cost about a millisecond from the page cache.
constexpr std::int64_t kSamples = 512;
// B-tree page types (the first byte of a page): index interior and leaf.
constexpr unsigned char kIndexInterior = 2;
constexpr unsigned char kIndexLeaf = 10;

std::int64_t page_size_of(std::ifstream& in) {
  std::array<unsigned char, 2> raw{};
  in.seekg(16);
  if (!in.read(reinterpret_cast<char*>(raw.data()), raw.size())) return 0;
  const int size = raw[0] << 8 | raw[1];
  if (size == 1) return 65536;
  const bool power_of_two = size >= 512 && (size & (size - 1)) == 0;
  return power_of_two ? size : 0;
}

}  // namespace

std::int64_t check_cache_kib(const fs::path& db) {
  std::error_code ec;
  const auto file_bytes = static_cast<std::int64_t>(fs::file_size(db, ec));
  if (ec) return kMinCheckCacheKib;
  std::ifstream in(db, std::ios::binary);
  const auto page_size = page_size_of(in);
  if (!in || page_size == 0) return kMinCheckCacheKib;
  const auto pages = file_bytes / page_size;
  if (pages < 2) return kMinCheckCacheKib;
  // Pages 2 to `pages`, at an even stride.
  const auto samples = std::min(kSamples, pages - 1);
  std::int64_t index_pages = 0;
  for (std::int64_t i = 0; i < samples; ++i) {
    const auto page = 2 + i * (pages - 1) / samples;
    char type = 0;
    in.seekg((page - 1) * page_size);
    if (!in.read(&type, 1)) return kMinCheckCacheKib;
    const auto byte = static_cast<unsigned char>(type);
    if (byte == kIndexInterior || byte == kIndexLeaf) ++index_pages;
  }
  // The indexes, a quarter more for the table pages each probe passes, and
  // the default cache for everything else.
  const auto index_kib = index_pages * file_bytes / samples / 1024;
  return std::clamp(index_kib + index_kib / 4 + kMinCheckCacheKib, kMinCheckCacheKib,
                    kMaxCheckCacheKib);
}

}  // namespace es
