#include "stream/copy_streamed.h"

#include "storage/copy.h"
#include "storage/location.h"
#include "storage/storage_registry.h"
#include "stream/sharded_writer.h"
#include "stream/stream_manifest.h"

namespace stasis::stream {

bool IsStreamedLocation(const std::string& location) {
  auto store = storage::StorageFor(location);
  return store.ok() && (*store)->Stat(storage::JoinLocation(location, kStreamManifestName)).ok();
}

Result<uint64_t> CopyStreamedCheckpoint(const std::string& from, const std::string& to,
                                        Progress* progress) {
  ASSIGN_OR_RETURN(auto source, storage::StorageFor(from));
  std::string manifest_location = storage::JoinLocation(from, kStreamManifestName);
  ASSIGN_OR_RETURN(StreamManifest m, ReadStreamManifest(source.get(), from));
  RETURN_IF_ERROR(EnsurePrefix(to));
  uint64_t total = 0;
  for (const auto& s : m.shards) {
    ASSIGN_OR_RETURN(uint64_t n, storage::CopyObject(storage::JoinLocation(from, s.name),
                                                     storage::JoinLocation(to, s.name), progress));
    total += n;
  }
  ASSIGN_OR_RETURN(uint64_t n, storage::CopyObject(manifest_location,
                                                   storage::JoinLocation(to, kStreamManifestName)));
  return total + n;
}

}  // namespace stasis::stream
