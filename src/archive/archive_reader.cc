// ExtractCheckpointArchive and ReadCheckpointHeader: libarchive reads from
// the storage reader as a stream; every member is checked before it touches
// the disk (name, type, size) and after (size, SHA-256 against stasis.json).
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <map>
#include <vector>

#include "archive/checkpoint_archive.h"
#include "archive/sha256.h"
#include "common/unique_fd.h"

namespace stasis::archive {

namespace {

constexpr size_t kBufferSize = 1 << 20;
// Manifests are small; a bigger one is an attack or damage, not a checkpoint.
constexpr size_t kMaxManifestBytes = 16 << 20;
// No process image is bigger than this; refuse before writing a byte.
constexpr int64_t kMaxMemberBytes = int64_t{1} << 42;

struct Source {
  storage::Reader* in;
  std::vector<char> buf = std::vector<char>(kBufferSize);
  Status error;
};

la_ssize_t ReadFromStorage(struct archive* a, void* ctx, const void** out) {
  auto* src = static_cast<Source*>(ctx);
  auto n = src->in->Read(src->buf.data(), src->buf.size());
  if (!n.ok()) {
    src->error = n.status();
    archive_set_error(a, EIO, "storage read failed");
    return -1;
  }
  *out = src->buf.data();
  return static_cast<la_ssize_t>(*n);
}

class ArchiveReader {
 public:
  explicit ArchiveReader(storage::Reader* in) : a_(archive_read_new()) { src_.in = in; }
  ~ArchiveReader() { archive_read_free(a_); }
  ArchiveReader(const ArchiveReader&) = delete;
  ArchiveReader& operator=(const ArchiveReader&) = delete;

  Status Open() {
    archive_read_support_filter_gzip(a_);
    archive_read_support_filter_lz4(a_);
    archive_read_support_filter_zstd(a_);
    archive_read_support_format_tar(a_);
    if (archive_read_open(a_, &src_, nullptr, ReadFromStorage, nullptr) != ARCHIVE_OK)
      return Failure("not a stasis checkpoint");
    return Status::OK();
  }

  // nullptr at the end of the archive.
  Result<struct archive_entry*> Next() {
    struct archive_entry* e = nullptr;
    int rc = archive_read_next_header(a_, &e);
    if (rc == ARCHIVE_EOF) return static_cast<struct archive_entry*>(nullptr);
    if (rc < ARCHIVE_WARN) return Damaged();
    return e;
  }

  // Reads the current member into memory (manifests only).
  Result<std::string> ReadSmall(const std::string& name, int64_t size) {
    if (size < 0 || static_cast<uint64_t>(size) > kMaxManifestBytes)
      return Status::Corruption(name + " in the checkpoint is too large to be a manifest");
    std::string out(static_cast<size_t>(size), '\0');
    size_t got = 0;
    while (got < out.size()) {
      la_ssize_t n = archive_read_data(a_, out.data() + got, out.size() - got);
      if (n < 0) return Damaged();
      if (n == 0) break;
      got += static_cast<size_t>(n);
    }
    if (got != out.size()) return Damaged();
    return out;
  }

  // Streams the current member into `fd`, hashing it; returns size and hash.
  Result<FileEntry> CopyTo(int fd, const std::string& name) {
    FileEntry f;
    f.name = name;
    Sha256 hash;
    std::vector<char> buf(kBufferSize);
    for (;;) {
      la_ssize_t n = archive_read_data(a_, buf.data(), buf.size());
      if (n < 0) return Damaged();
      if (n == 0) break;
      hash.Update(buf.data(), static_cast<size_t>(n));
      const char* p = buf.data();
      size_t left = static_cast<size_t>(n);
      while (left > 0) {
        ssize_t w = ::write(fd, p, left);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) {
          if (errno == ENOSPC) return Status::ResourceExhausted("no space left to extract " + name);
          return ErrnoStatus("cannot write " + name, errno);
        }
        p += w;
        left -= static_cast<size_t>(w);
      }
      f.size += static_cast<uint64_t>(n);
    }
    f.sha256 = hash.FinishHex();
    return f;
  }

  Status Damaged() {
    if (!src_.error.ok()) return src_.error;
    const char* msg = archive_error_string(a_);
    return Status::Corruption(std::string("the checkpoint archive is truncated or damaged: ") +
                              (msg ? msg : "unexpected end of data"));
  }

 private:
  Status Failure(const std::string& what) {
    if (!src_.error.ok()) return src_.error;
    const char* msg = archive_error_string(a_);
    return Status::Corruption(what + ": " + (msg ? msg : "unreadable archive"));
  }

  struct archive* a_;
  Source src_;
};

std::string EntryName(struct archive_entry* e) {
  const char* n = archive_entry_pathname(e);
  return n ? n : "";
}

// The first member: stasis-header.json, or this is not our archive.
Result<Manifest> ReadHeader(ArchiveReader& r) {
  ASSIGN_OR_RETURN(struct archive_entry * e, r.Next());
  if (e == nullptr) return Status::Corruption("not a stasis checkpoint: the archive is empty");
  std::string name = EntryName(e);
  if (name != kHeaderMemberName || archive_entry_filetype(e) != AE_IFREG)
    return Status::Corruption("not a stasis checkpoint: its first member is '" + name + "', not " +
                              kHeaderMemberName);
  ASSIGN_OR_RETURN(std::string text, r.ReadSmall(name, archive_entry_size(e)));
  auto m = ManifestFromJson(text);
  if (!m.ok()) return m.status().WithContext("not a readable stasis checkpoint");
  return m;
}

Status CheckMember(struct archive_entry* e, const std::string& name) {
  if (!IsSafeMemberName(name))
    return Status::Corruption("the checkpoint holds an unsafe member name '" + name +
                              "'; refusing to extract it");
  if (archive_entry_filetype(e) != AE_IFREG || archive_entry_hardlink(e) != nullptr)
    return Status::Corruption("the checkpoint member '" + name +
                              "' is not a regular file; refusing to extract it");
  if (archive_entry_size(e) < 0 || archive_entry_size(e) > kMaxMemberBytes)
    return Status::Corruption("the checkpoint member '" + name + "' declares an impossible size");
  return Status::OK();
}

Status Verify(const Manifest& header, const Manifest& full,
              const std::map<std::string, FileEntry>& extracted) {
  if (header.job_id != full.job_id || header.created_unix != full.created_unix)
    return Status::Corruption("the checkpoint's header and manifest describe different dumps");
  for (const FileEntry& f : full.files) {
    auto it = extracted.find(f.name);
    if (it == extracted.end()) return Status::Corruption("the checkpoint is missing " + f.name);
    if (it->second.size != f.size)
      return Status::Corruption("checkpoint member " + f.name + " has " +
                                std::to_string(it->second.size) + " bytes, the manifest says " +
                                std::to_string(f.size));
    if (it->second.sha256 != f.sha256)
      return Status::Corruption("checkpoint member " + f.name +
                                " does not match its SHA-256 checksum");
  }
  if (extracted.size() != full.files.size())
    return Status::Corruption("the checkpoint holds members its manifest does not list");
  return Status::OK();
}

}  // namespace

Result<Manifest> ExtractCheckpointArchive(storage::Reader& in,
                                          const std::filesystem::path& dest_dir) {
  UniqueFd dir(::open(dest_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir.valid()) return ErrnoStatus("cannot open " + dest_dir.string(), errno);

  ArchiveReader r(&in);
  RETURN_IF_ERROR(r.Open());
  ASSIGN_OR_RETURN(Manifest header, ReadHeader(r));

  std::map<std::string, FileEntry> extracted;
  for (;;) {
    ASSIGN_OR_RETURN(struct archive_entry * e, r.Next());
    if (e == nullptr)
      return Status::Corruption(
          "the checkpoint archive is truncated: it ends before its "
          "manifest (stasis.json)");
    std::string name = EntryName(e);
    RETURN_IF_ERROR(CheckMember(e, name));
    if (name == kManifestMemberName) {
      ASSIGN_OR_RETURN(std::string text, r.ReadSmall(name, archive_entry_size(e)));
      ASSIGN_OR_RETURN(Manifest full, ManifestFromJson(text));
      ASSIGN_OR_RETURN(struct archive_entry * after, r.Next());
      if (after != nullptr)
        return Status::Corruption("the checkpoint has members after its manifest");
      RETURN_IF_ERROR(Verify(header, full, extracted));
      return full;
    }
    if (name == kHeaderMemberName || extracted.count(name) != 0)
      return Status::Corruption("the checkpoint holds '" + name + "' twice");
    UniqueFd fd(::openat(dir.get(), name.c_str(),
                         O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!fd.valid())
      return ErrnoStatus("cannot create " + name + " in " + dest_dir.string(), errno);
    ASSIGN_OR_RETURN(FileEntry f, r.CopyTo(fd.get(), name));
    if (f.size != static_cast<uint64_t>(archive_entry_size(e))) return r.Damaged();
    extracted[name] = std::move(f);
  }
}

Result<Manifest> ReadCheckpointHeader(storage::Reader& in) {
  ArchiveReader r(&in);
  RETURN_IF_ERROR(r.Open());
  return ReadHeader(r);
}

}  // namespace stasis::archive
