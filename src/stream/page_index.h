// Where a page's content already is, by content. The pre-copy fills it
// while the process runs; the final (frozen) dump looks every page of
// CRIU's pages images up in it and stores only the pages it does not find.
//
// The key is XXH3-128 of the page: fast enough to hash a frozen process's
// whole memory in a fraction of what compressing and uploading it costs.
// It is not a cryptographic hash; it need not be one, because the index
// only ever holds pages of the one process tree being dumped, moments
// earlier, so only that process could collide with itself.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <unordered_map>

namespace stasis::stream {

inline constexpr size_t kPageSize = 4096;

struct PageHash {
  uint64_t low = 0, high = 0;
  bool operator==(const PageHash&) const = default;
};

struct PageHashHasher {
  size_t operator()(const PageHash& h) const { return static_cast<size_t>(h.low); }
};

PageHash HashPage(const char* page);
bool IsZeroPage(const char* page);

// A page's place: byte offset `offset` of blob `blob` (a ShardedWriter blob).
struct PagePos {
  uint32_t blob = 0;
  uint64_t offset = 0;
};

// Inserts happen from one thread (the pre-copy); lookups may then come from
// many (one per image CRIU writes) as long as nothing inserts.
class PageIndex {
 public:
  std::optional<PagePos> Find(const PageHash& h) const;
  // Keeps the first place a content was seen.
  void Insert(const PageHash& h, PagePos pos) { map_.emplace(h, pos); }
  size_t size() const { return map_.size(); }

 private:
  std::unordered_map<PageHash, PagePos, PageHashHasher> map_;
};

}  // namespace stasis::stream
