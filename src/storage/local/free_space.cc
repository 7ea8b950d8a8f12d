#include "storage/local/free_space.h"

#include <sys/statvfs.h>

#include <cerrno>

#include "storage/local/local_internal.h"

namespace stasis::storage {

Result<uint64_t> FreeBytes(const std::string& dir) {
  ASSIGN_OR_RETURN(std::string path, LocalPath(dir));
  struct statvfs vfs {};
  if (::statvfs(path.c_str(), &vfs) != 0)
    return ErrnoStatus("cannot read the free space of " + path, errno);
  // f_bavail, not f_bfree: the blocks reserved for root are not ours to
  // promise, even though the daemon runs as root.
  return static_cast<uint64_t>(vfs.f_bavail) * vfs.f_frsize;
}

}  // namespace stasis::storage
