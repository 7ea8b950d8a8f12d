#include "stream/page_index.h"

#include <xxhash.h>

#include <cstring>

namespace stasis::stream {

PageHash HashPage(const char* page) {
  XXH128_hash_t h = XXH3_128bits(page, kPageSize);
  return PageHash{h.low64, h.high64};
}

bool IsZeroPage(const char* page) {
  static const char kZero[kPageSize] = {};
  return std::memcmp(page, kZero, kPageSize) == 0;
}

std::optional<PagePos> PageIndex::Find(const PageHash& h) const {
  auto it = map_.find(h);
  if (it == map_.end()) return std::nullopt;
  return it->second;
}

}  // namespace stasis::stream
