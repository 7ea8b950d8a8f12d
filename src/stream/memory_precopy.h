// The pre-copy of a running process tree: its memory is read from outside
// (process_vm_readv, guided by /proc/PID/maps and /proc/PID/pagemap) while
// it keeps running, and every page the index does not have yet is stored
// in a new blob and indexed. The final, frozen dump then only has to store
// the pages that changed since (ShardedWriter with a PageIndex).
//
// This is how stasis shortens the freeze on kernels without soft-dirty
// tracking, where CRIU's own pre-dump (--track-mem) cannot run: the frozen
// dump still reads every page, but hashes instead of compressing and
// uploading the ones already stored.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/result.h"
#include "stream/page_index.h"
#include "stream/sharded_writer.h"

namespace stasis::stream {

struct PrecopyRound {
  uint64_t read_bytes = 0;    // pages read from the tree
  uint64_t stored_bytes = 0;  // of those, new to the index (raw bytes)
  double seconds = 0;
};

// Each pre-copy round is a writer of its own (objects precopy<r>-<i>.<ext>)
// committed before the freeze, so the frozen dump waits for none of its
// uploads. The manifests are folded together in order: `earlier`'s shards
// and blobs go first, and the later one's chunks are renumbered to match
// (its extents, if any, already number `earlier`'s blobs first).
void MergePrecopy(StreamManifest earlier, StreamManifest* later);

// One round over every process of `pids`, into a blob named `blob_name`
// that will be blob number `blob_number` of the final manifest (what the
// index records). Pages that vanish or cannot be read are skipped: the
// index is only a cache for the final dump, which reads everything itself.
Result<PrecopyRound> PrecopyMemory(const std::vector<int>& pids, const std::string& blob_name,
                                   uint32_t blob_number, ShardedWriter* writer, PageIndex* index);

}  // namespace stasis::stream
