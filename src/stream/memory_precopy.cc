#include "stream/memory_precopy.h"

#include <fcntl.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>

#include "common/unique_fd.h"

namespace stasis::stream {

namespace {

constexpr uint64_t kPresent = 1ull << 63, kSwapped = 1ull << 62, kFileOrShared = 1ull << 61;
constexpr size_t kBatchPages = 1024;  // 4 MiB per process_vm_readv

struct Vma {
  uint64_t start = 0, end = 0;
  bool readable = false, is_private = false;
  std::string path;
};

std::vector<Vma> ReadMaps(int pid) {
  std::vector<Vma> out;
  std::ifstream in("/proc/" + std::to_string(pid) + "/maps");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string range, perms, offset, dev, inode;
    fields >> range >> perms >> offset >> dev >> inode;
    Vma v;
    size_t dash = range.find('-');
    if (dash == std::string::npos || perms.size() < 4) continue;
    v.start = std::stoull(range.substr(0, dash), nullptr, 16);
    v.end = std::stoull(range.substr(dash + 1), nullptr, 16);
    v.readable = perms[0] == 'r';
    v.is_private = perms[3] == 'p';
    std::getline(fields >> std::ws, v.path);
    out.push_back(std::move(v));
  }
  return out;
}

// The mappings whose pages CRIU stores in pages images: private ones (their
// anonymous pages) and anonymous shared memory (memfd, SysV, /dev/zero,
// /dev/shm). Pages of shared file mappings live in their files.
bool Wanted(const Vma& v) {
  if (!v.readable || v.path.starts_with("[v")) return false;  // vdso, vvar, vsyscall
  if (v.is_private) return true;
  return v.path.empty() || v.path.starts_with("/memfd:") || v.path.starts_with("/SYSV") ||
         v.path.starts_with("/dev/zero") || v.path.starts_with("/dev/shm/");
}

class RoundCopier {
 public:
  RoundCopier(ShardedWriter::Blob blob, uint32_t blob_number, PageIndex* index)
      : blob_(std::move(blob)),
        blob_number_(blob_number),
        index_(index),
        buffer_(kBatchPages * kPageSize) {}

  Status CopyProcess(int pid) {
    UniqueFd pagemap(
        ::open(("/proc/" + std::to_string(pid) + "/pagemap").c_str(), O_RDONLY | O_CLOEXEC));
    if (!pagemap.valid()) {
      if (errno == ENOENT) return Exited(pid);
      return Status::IOError("cannot read the page map of process " + std::to_string(pid) + ": " +
                             std::strerror(errno));
    }
    for (const Vma& v : ReadMaps(pid)) {
      if (!Wanted(v)) continue;
      for (uint64_t at = v.start; at < v.end; at += kBatchPages * kPageSize) {
        size_t pages = std::min<uint64_t>(kBatchPages, (v.end - at) / kPageSize);
        RETURN_IF_ERROR(CopyBatch(pid, pagemap.get(), v, at, pages));
      }
    }
    return Status::OK();
  }

  Status Close() { return blob_.sink->Close(); }
  PrecopyRound round;

 private:
  static Status Exited(int pid) {
    return Status::Unavailable("process " + std::to_string(pid) +
                               " exited during the pre-copy; there is nothing left to dump");
  }

  Status CopyBatch(int pid, int pagemap, const Vma& v, uint64_t at, size_t pages) {
    uint64_t entries[kBatchPages];
    ssize_t got = ::pread(pagemap, entries, pages * sizeof(uint64_t),
                          static_cast<off_t>(at / kPageSize * sizeof(uint64_t)));
    if (got < 0) return Status::OK();  // the mapping went away: nothing to copy
    pages = static_cast<size_t>(got) / sizeof(uint64_t);
    // Runs of wanted pages become the remote iovecs of one read.
    std::vector<iovec> remote;
    for (size_t i = 0; i < pages; ++i) {
      uint64_t e = entries[i];
      bool wanted = (e & (kPresent | kSwapped)) != 0 && (!v.is_private || !(e & kFileOrShared));
      if (!wanted) continue;
      char* addr = reinterpret_cast<char*>(at + i * kPageSize);
      if (!remote.empty() &&
          static_cast<char*>(remote.back().iov_base) + remote.back().iov_len == addr)
        remote.back().iov_len += kPageSize;
      else
        remote.push_back(iovec{addr, kPageSize});
    }
    if (remote.empty()) return Status::OK();
    iovec local{buffer_.data(), buffer_.size()};
    ssize_t n = ::process_vm_readv(pid, &local, 1, remote.data(), remote.size(), 0);
    if (n < 0) {
      if (errno == ESRCH) return Exited(pid);
      return Status::OK();  // unmapped meanwhile (EFAULT) and the like: skip
    }
    round.read_bytes += static_cast<uint64_t>(n);
    for (size_t off = 0; off + kPageSize <= static_cast<size_t>(n); off += kPageSize) {
      const char* page = buffer_.data() + off;
      if (IsZeroPage(page)) continue;  // CRIU stores untouched pages as holes
      PageHash h = HashPage(page);
      if (index_->Find(h)) continue;
      index_->Insert(h, PagePos{blob_number_, blob_size_});
      RETURN_IF_ERROR(blob_.sink->Append(page, kPageSize));
      blob_size_ += kPageSize;
      round.stored_bytes += kPageSize;
    }
    return Status::OK();
  }

  ShardedWriter::Blob blob_;
  uint32_t blob_number_;
  PageIndex* index_;
  std::vector<char> buffer_;
  uint64_t blob_size_ = 0;
};

}  // namespace

void MergePrecopy(StreamManifest precopy, StreamManifest* m) {
  const uint32_t shift = static_cast<uint32_t>(precopy.shards.size());
  for (auto* list : {&m->files, &m->blobs})
    for (StreamFile& f : *list)
      for (ChunkRef& c : f.chunks) c.shard += shift;
  m->shards.insert(m->shards.begin(), precopy.shards.begin(), precopy.shards.end());
  m->blobs.insert(m->blobs.begin(), std::make_move_iterator(precopy.blobs.begin()),
                  std::make_move_iterator(precopy.blobs.end()));
}

Result<PrecopyRound> PrecopyMemory(const std::vector<int>& pids, const std::string& blob_name,
                                   uint32_t blob_number, ShardedWriter* writer, PageIndex* index) {
  auto t0 = std::chrono::steady_clock::now();
  ASSIGN_OR_RETURN(ShardedWriter::Blob blob, writer->CreateBlob(blob_name));
  RoundCopier copier(std::move(blob), blob_number, index);
  for (int pid : pids) RETURN_IF_ERROR(copier.CopyProcess(pid));
  RETURN_IF_ERROR(copier.Close());
  copier.round.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return copier.round;
}

}  // namespace stasis::stream
