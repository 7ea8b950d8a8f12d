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

// One round over every process of `pids`, into a blob named `blob_name`.
// Pages that vanish or cannot be read are skipped: the index is only a
// cache for the final dump, which reads everything itself.
Result<PrecopyRound> PrecopyMemory(const std::vector<int>& pids, const std::string& blob_name,
                                   ShardedWriter* writer, PageIndex* index);

}  // namespace stasis::stream
