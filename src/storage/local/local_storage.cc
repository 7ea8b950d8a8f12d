#include "storage/local/local_storage.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <functional>
#include <string_view>
#include <vector>

#include "storage/local/local_internal.h"
#include "storage/local/local_reader.h"
#include "storage/local/local_writer.h"
#include "storage/location.h"

namespace stasis::storage {

namespace {

ObjectInfo InfoFrom(const std::string& location, const std::string& name, const struct stat& st) {
  ObjectInfo info;
  info.location = location;
  info.name = name;
  info.is_dir = S_ISDIR(st.st_mode);
  info.size = info.is_dir ? 0 : static_cast<uint64_t>(st.st_size);
  info.mtime = st.st_mtim.tv_sec;
  return info;
}

}  // namespace

Result<std::unique_ptr<Writer>> LocalStorage::NewWriter(const std::string& location) {
  ASSIGN_OR_RETURN(std::string path, LocalPath(location));
  return LocalWriter::Open(path);
}

Result<std::unique_ptr<Reader>> LocalStorage::NewReader(const std::string& location) {
  ASSIGN_OR_RETURN(std::string path, LocalPath(location));
  return LocalReader::Open(path);
}

Status LocalStorage::ReadRange(const std::string& location, uint64_t offset, size_t size,
                               std::string* out) {
  ASSIGN_OR_RETURN(std::string path, LocalPath(location));
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    if (errno == ENOENT) return Status::NotFound(path + " does not exist");
    return ErrnoStatus("cannot open " + path, errno);
  }
  out->resize(size);
  size_t got = 0;
  while (got < size) {
    ssize_t n = ::pread(fd.get(), out->data() + got, size - got, static_cast<off_t>(offset + got));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoStatus("cannot read " + path, errno);
    if (n == 0)
      return Status::Corruption(path + " ends at " + std::to_string(offset + got) +
                                " bytes, before the " + std::to_string(size) +
                                " bytes expected at offset " + std::to_string(offset));
    got += static_cast<size_t>(n);
  }
  return Status::OK();
}

Result<std::vector<ObjectInfo>> LocalStorage::List(const std::string& dir) {
  ASSIGN_OR_RETURN(std::string path, LocalPath(dir));
  ASSIGN_OR_RETURN(UniqueFd dir_fd, OpenDirectory(path));
  DIR* d = ::fdopendir(dir_fd.get());
  if (d == nullptr) return ErrnoStatus("cannot list " + path, errno);
  dir_fd.Release();  // owned by `d` now
  std::vector<ObjectInfo> out;
  while (struct dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name == "." || name == ".." || IsTempName(name)) continue;
    struct stat st {};
    // Entries may vanish while we list (a concurrent delete): skip them.
    if (::fstatat(::dirfd(d), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode)) continue;
    out.push_back(InfoFrom(JoinLocation(dir, name), name, st));
  }
  ::closedir(d);
  std::sort(out.begin(), out.end(),
            [](const ObjectInfo& a, const ObjectInfo& b) { return a.name < b.name; });
  return out;
}

Result<ObjectInfo> LocalStorage::Stat(const std::string& location) {
  ASSIGN_OR_RETURN(std::string path, LocalPath(location));
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    int err = errno;
    if (err == ENOENT) return Status::NotFound(path + " does not exist");
    return ErrnoStatus("cannot stat " + path, err);
  }
  return InfoFrom(location, SplitPath(path).second, st);
}

namespace {
// Unlinks the temp files in `dir_fd` whose names `match` accepts.
void UnlinkTempFiles(int dir_fd, const std::function<bool(std::string_view)>& match) {
  int fd = ::dup(dir_fd);
  DIR* d = fd >= 0 ? ::fdopendir(fd) : nullptr;
  if (d == nullptr) {
    if (fd >= 0) ::close(fd);
    return;
  }
  std::vector<std::string> doomed;
  while (dirent* e = ::readdir(d)) {
    std::string_view name = e->d_name;
    if (IsTempName(name) && match(name)) doomed.emplace_back(name);
  }
  ::closedir(d);
  for (const auto& name : doomed) ::unlinkat(dir_fd, name.c_str(), 0);
  if (!doomed.empty()) ::fsync(dir_fd);
}
}  // namespace

Status LocalStorage::RemoveIncomplete(const std::string& location) {
  ASSIGN_OR_RETURN(std::string path, LocalPath(location));
  auto [dir, name] = SplitPath(path);
  auto dir_fd = OpenDirectory(dir);
  if (!dir_fd.ok())
    return dir_fd.status().code() == StatusCode::kNotFound ? Status::OK() : dir_fd.status();
  // Temp files of the object itself, then everything unfinished inside it
  // when it is a prefix (a directory).
  const std::string own = name;  // clang-tidy (clang 14) cannot see a captured structured binding
  UnlinkTempFiles(dir_fd->get(), [&own](std::string_view n) { return IsTempNameFor(n, own); });
  auto inner = OpenDirectory(path);
  if (inner.ok()) UnlinkTempFiles(inner->get(), [](std::string_view) { return true; });
  return Status::OK();
}

Status LocalStorage::Remove(const std::string& location) {
  ASSIGN_OR_RETURN(std::string path, LocalPath(location));
  auto [dir, name] = SplitPath(path);
  ASSIGN_OR_RETURN(UniqueFd dir_fd, OpenDirectory(dir));
  struct stat st {};
  if (::fstatat(dir_fd.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    int err = errno;
    if (err == ENOENT) return Status::NotFound(path + " does not exist");
    return ErrnoStatus("cannot stat " + path, err);
  }
  int flags = S_ISDIR(st.st_mode) ? AT_REMOVEDIR : 0;
  if (::unlinkat(dir_fd.get(), name.c_str(), flags) != 0) {
    int err = errno;
    if (err == ENOTEMPTY || err == EEXIST)
      return Status::FailedPrecondition(path + " is a directory that is not empty");
    return ErrnoStatus("cannot remove " + path, err);
  }
  // A delete should survive a crash as surely as a commit does.
  ::fsync(dir_fd.get());
  return Status::OK();
}

Status LocalStorage::CheckWritable(const std::string& dir) {
  ASSIGN_OR_RETURN(std::string path, LocalPath(dir));
  ASSIGN_OR_RETURN(UniqueFd dir_fd, OpenDirectory(path));
  std::string probe = TempNameFor("stasis-probe");
  UniqueFd fd(::openat(dir_fd.get(), probe.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (!fd.valid()) return CreateError(path, "a checkpoint in " + path, errno);
  fd.Reset();
  ::unlinkat(dir_fd.get(), probe.c_str(), 0);
  return Status::OK();
}

}  // namespace stasis::storage
