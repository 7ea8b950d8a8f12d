// WriteCheckpointArchive: libarchive writes the tar and compresses it; its
// output goes straight into the storage writer, so no archive file is ever
// staged on local disk.
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <ctime>
#include <vector>

#include "archive/checkpoint_archive.h"
#include "archive/sha256.h"
#include "common/unique_fd.h"

namespace stasis::archive {

namespace {

constexpr size_t kBufferSize = 1 << 20;

struct Sink {
  storage::Writer* out;
  Status error;  // the storage error, which says more than libarchive can
};

la_ssize_t WriteToStorage(struct archive* a, void* ctx, const void* buf, size_t n) {
  auto* sink = static_cast<Sink*>(ctx);
  Status st = sink->out->Append(buf, n);
  if (!st.ok()) {
    sink->error = st;
    archive_set_error(a, EIO, "storage write failed");
    return -1;
  }
  return static_cast<la_ssize_t>(n);
}

class ArchiveWriter {
 public:
  ArchiveWriter() : a_(archive_write_new()) {}
  ~ArchiveWriter() { archive_write_free(a_); }
  ArchiveWriter(const ArchiveWriter&) = delete;
  ArchiveWriter& operator=(const ArchiveWriter&) = delete;

  Status Open(Compression c, storage::Writer* out) {
    sink_.out = out;
    archive_write_set_format_pax_restricted(a_);
    int rc = ARCHIVE_OK;
    switch (c) {
      case Compression::kNone:
        rc = archive_write_add_filter_none(a_);
        break;
      case Compression::kGzip:
        rc = archive_write_add_filter_gzip(a_);
        // Level 6 (the default) runs at a fraction of disk speed; 3 keeps most
        // of the ratio on process memory.
        if (rc == ARCHIVE_OK) archive_write_set_filter_option(a_, "gzip", "compression-level", "3");
        break;
      case Compression::kLz4:
        rc = archive_write_add_filter_lz4(a_);
        break;
      case Compression::kZstd:
        rc = archive_write_add_filter_zstd(a_);
        if (rc == ARCHIVE_OK) {
          archive_write_set_filter_option(a_, "zstd", "compression-level", "3");
          // Not every libarchive has zstd threads; without them it is one core.
          archive_write_set_filter_option(a_, "zstd", "threads", "0");
        }
        break;
    }
    if (rc != ARCHIVE_OK) return Failure("cannot set up compression");
    archive_write_set_bytes_per_block(a_, kBufferSize);
    archive_write_set_bytes_in_last_block(a_, 1);
    if (archive_write_open(a_, &sink_, nullptr, WriteToStorage, nullptr) != ARCHIVE_OK)
      return Failure("cannot start the archive");
    return Status::OK();
  }

  Status AddMember(const std::string& name, uint64_t size) {
    struct archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, name.c_str());
    archive_entry_set_size(e, static_cast<la_int64_t>(size));
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0600);
    archive_entry_set_mtime(e, std::time(nullptr), 0);
    int rc = archive_write_header(a_, e);
    archive_entry_free(e);
    if (rc != ARCHIVE_OK) return Failure("cannot add " + name);
    return Status::OK();
  }

  Status Data(const void* data, size_t size, const std::string& name) {
    const char* p = static_cast<const char*>(data);
    while (size > 0) {
      la_ssize_t n = archive_write_data(a_, p, size);
      if (n <= 0) return Failure("cannot write " + name);
      p += n;
      size -= static_cast<size_t>(n);
    }
    return Status::OK();
  }

  Status AddText(const std::string& name, const std::string& text) {
    RETURN_IF_ERROR(AddMember(name, text.size()));
    return Data(text.data(), text.size(), name);
  }

  Status Close() {
    if (archive_write_close(a_) != ARCHIVE_OK) return Failure("cannot finish the archive");
    return Status::OK();
  }

 private:
  Status Failure(const std::string& what) {
    if (!sink_.error.ok()) return sink_.error;
    const char* msg = archive_error_string(a_);
    return Status::IOError(what + ": " + (msg ? msg : "unknown libarchive error"));
  }

  struct archive* a_;
  Sink sink_;
};

// Regular files of `dir`, sorted; anything else is refused because restore
// would refuse it too.
Result<std::vector<std::string>> ImageFiles(const std::filesystem::path& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    if (!e.is_regular_file(ec) || e.is_symlink(ec))
      return Status::Internal("the images directory holds " + e.path().filename().string() +
                              ", which is not a regular file");
    names.push_back(e.path().filename());
  }
  if (ec) return Status::IOError("cannot list " + dir.string() + ": " + ec.message());
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace

Result<Manifest> WriteCheckpointArchive(const std::filesystem::path& images_dir,
                                        const Manifest& header, Compression compression,
                                        storage::Writer& out, const ManifestSigner* signer) {
  ASSIGN_OR_RETURN(std::vector<std::string> names, ImageFiles(images_dir));
  Manifest manifest = header;
  manifest.files.clear();
  manifest.total_bytes = 0;

  ArchiveWriter w;
  RETURN_IF_ERROR(w.Open(compression, &out));
  RETURN_IF_ERROR(w.AddText(kHeaderMemberName, SealedManifestJson(manifest, signer)));

  std::vector<char> buf(kBufferSize);
  for (const std::string& name : names) {
    std::string path = (images_dir / name).string();
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
    if (!fd.valid()) return ErrnoStatus("cannot read image " + path, errno);
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) return ErrnoStatus("cannot stat image " + path, errno);
    uint64_t size = static_cast<uint64_t>(st.st_size);
    RETURN_IF_ERROR(w.AddMember(name, size));
    Sha256 hash;
    uint64_t done = 0;
    while (done < size) {
      ssize_t n = ::read(fd.get(), buf.data(), std::min<uint64_t>(buf.size(), size - done));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return ErrnoStatus("cannot read image " + path, errno);
      if (n == 0) return Status::IOError("image " + path + " shrank while being archived");
      hash.Update(buf.data(), static_cast<size_t>(n));
      RETURN_IF_ERROR(w.Data(buf.data(), static_cast<size_t>(n), name));
      done += static_cast<uint64_t>(n);
    }
    manifest.files.push_back({name, size, hash.FinishHex()});
    manifest.total_bytes += size;
  }
  RETURN_IF_ERROR(w.AddText(kManifestMemberName, SealedManifestJson(manifest, signer)));
  RETURN_IF_ERROR(w.Close());
  return manifest;
}

}  // namespace stasis::archive
