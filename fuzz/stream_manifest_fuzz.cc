// manifest.json of a streamed checkpoint comes from storage anyone with
// write access to the bucket could have edited. Whatever it holds, the
// parser returns a manifest or Corruption; a manifest it accepts must hold
// what restore relies on (chunks inside their shards, extents inside their
// blobs, sizes that add up) and survive a round trip.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "stream/stream_manifest.h"

using stasis::stream::StreamManifest;

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

void CheckInvariants(const StreamManifest& m) {
  for (const auto* list : {&m.files, &m.blobs}) {
    for (const auto& f : *list) {
      uint64_t total = 0;
      for (const auto& c : f.chunks) {
        Check(c.shard < m.shards.size());
        Check(c.offset <= m.shards[c.shard].size && c.stored <= m.shards[c.shard].size - c.offset);
        total += c.size;
      }
      for (const auto& e : f.extents) {
        Check(e.blob < m.blobs.size());
        Check(e.offset <= m.blobs[e.blob].size && e.size <= m.blobs[e.blob].size - e.offset);
        total += e.size;
      }
      Check(total == f.size);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto m = stasis::stream::StreamManifestFromJson(text);
  if (!m.ok()) {
    Check(m.status().code() == stasis::StatusCode::kCorruption);
    return 0;
  }
  CheckInvariants(*m);
  auto again = stasis::stream::StreamManifestFromJson(stasis::stream::StreamManifestToJson(*m));
  Check(again.ok());
  CheckInvariants(*again);
  return 0;
}
