#include "storage/local/local_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

namespace stasis::storage {

Result<std::unique_ptr<Reader>> LocalReader::Open(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    int err = errno;
    if (err == ENOENT) return Status::NotFound("checkpoint " + path + " does not exist");
    return ErrnoStatus("cannot open " + path, err);
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return ErrnoStatus("cannot stat " + path, errno);
  if (S_ISDIR(st.st_mode)) return Status::InvalidArgument(path + " is a directory, not a file");
  if (!S_ISREG(st.st_mode)) return Status::InvalidArgument(path + " is not a regular file");
  // Sequential: the kernel may read ahead aggressively.
  ::posix_fadvise(fd.get(), 0, 0, POSIX_FADV_SEQUENTIAL);
  return std::unique_ptr<Reader>(
      new LocalReader(path, std::move(fd), static_cast<uint64_t>(st.st_size)));
}

Result<size_t> LocalReader::Read(void* buf, size_t size) {
  for (;;) {
    ssize_t n = ::read(fd_.get(), buf, size);
    if (n >= 0) return static_cast<size_t>(n);
    if (errno != EINTR) return ErrnoStatus("cannot read " + path_, errno);
  }
}

}  // namespace stasis::storage
