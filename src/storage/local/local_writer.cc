#include "storage/local/local_writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include "storage/local/local_internal.h"

namespace stasis::storage {

Result<std::unique_ptr<Writer>> LocalWriter::Open(const std::string& path) {
  auto [dir, name] = SplitPath(path);
  if (name.empty()) return Status::InvalidArgument(path + " names a directory, not a file");
  ASSIGN_OR_RETURN(UniqueFd dir_fd, OpenDirectory(dir));

  struct stat st {};
  if (::fstatat(dir_fd.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0)
    return Status::AlreadyExists(path + " already exists");

  std::string temp_name = TempNameFor(name);
  // 0600: a checkpoint holds a process's whole memory, secrets included.
  UniqueFd fd(::openat(dir_fd.get(), temp_name.c_str(),
                       O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!fd.valid()) return CreateError(dir, path, errno);
  return std::unique_ptr<Writer>(
      new LocalWriter(path, dir, name, std::move(temp_name), std::move(dir_fd), std::move(fd)));
}

LocalWriter::LocalWriter(std::string path, std::string dir, std::string name, std::string temp_name,
                         UniqueFd dir_fd, UniqueFd fd)
    : path_(std::move(path)),
      dir_(std::move(dir)),
      name_(std::move(name)),
      temp_name_(std::move(temp_name)),
      dir_fd_(std::move(dir_fd)),
      fd_(std::move(fd)) {}

LocalWriter::~LocalWriter() {
  if (!committed_) Abort();
}

Status LocalWriter::CheckOpen() const {
  if (committed_) return Status::FailedPrecondition(path_ + " is already committed");
  if (aborted_) return Status::FailedPrecondition("the write of " + path_ + " was aborted");
  return Status::OK();
}

Status LocalWriter::FailWith(Status status) {
  Abort();
  return status;
}

Status LocalWriter::Append(const void* data, size_t size) {
  RETURN_IF_ERROR(CheckOpen());
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    ssize_t n = ::write(fd_.get(), p, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return FailWith(WriteError(path_, errno));
    }
    p += n;
    size -= static_cast<size_t>(n);
    bytes_written_ += static_cast<uint64_t>(n);
  }
  return Status::OK();
}

Status LocalWriter::Commit() {
  RETURN_IF_ERROR(CheckOpen());
  if (::fsync(fd_.get()) != 0) return FailWith(WriteError(path_, errno));
  if (::close(fd_.Release()) != 0) return FailWith(WriteError(path_, errno));
  // RENAME_NOREPLACE: a checkpoint that appeared meanwhile is never
  // overwritten; losing the race is an error, not silent data loss.
  if (::renameat2(dir_fd_.get(), temp_name_.c_str(), dir_fd_.get(), name_.c_str(),
                  RENAME_NOREPLACE) != 0) {
    int err = errno;
    if (err == EEXIST) return FailWith(Status::AlreadyExists(path_ + " already exists"));
    return FailWith(ErrnoStatus("cannot move " + path_ + " into place", err));
  }
  committed_ = true;
  // The rename is durable only once the directory is.
  if (::fsync(dir_fd_.get()) != 0) return WriteError(dir_, errno);
  return Status::OK();
}

void LocalWriter::Abort() noexcept {
  if (committed_ || aborted_) return;
  aborted_ = true;
  fd_.Reset();
  ::unlinkat(dir_fd_.get(), temp_name_.c_str(), 0);
}

}  // namespace stasis::storage
