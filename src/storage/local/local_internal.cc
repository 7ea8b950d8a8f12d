#include "storage/local/local_internal.h"

#include <fcntl.h>
#include <sys/random.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <random>

#include "storage/location.h"

namespace stasis::storage {

namespace {

constexpr std::string_view kPartialMarker = ".partial-";
// Keeps the temp name within NAME_MAX (255) when the target name is long.
constexpr size_t kMaxNameInTempName = 200;

uint64_t RandomU64() {
  uint64_t v = 0;
  if (::getrandom(&v, sizeof v, GRND_NONBLOCK) == static_cast<ssize_t>(sizeof v)) return v;
  // Early boot, before the entropy pool is ready: uniqueness, not secrecy, is
  // what matters here, and O_EXCL catches any collision.
  std::random_device rd;
  return (static_cast<uint64_t>(rd()) << 32) ^ rd();
}

}  // namespace

std::string TempNameFor(std::string_view name) {
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(RandomU64()));
  std::string out = ".";
  out += name.substr(0, kMaxNameInTempName);
  out += kPartialMarker;
  out += hex;
  return out;
}

bool IsTempName(std::string_view name) {
  return name.size() > 1 && name.front() == '.' &&
         name.find(kPartialMarker) != std::string_view::npos;
}

bool IsTempNameFor(std::string_view temp, std::string_view name) {
  std::string head = ".";
  head += name.substr(0, kMaxNameInTempName);
  head += kPartialMarker;
  return temp.size() == head.size() + 16 && temp.substr(0, head.size()) == head;
}

Result<std::string> LocalPath(const std::string& location) {
  ASSIGN_OR_RETURN(Location loc, ParseLocation(location));
  if (loc.scheme != "file") return Status::InvalidArgument(location + " is not a local path");
  return loc.path;
}

std::pair<std::string, std::string> SplitPath(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return {".", path};
  std::string dir = slash == 0 ? "/" : path.substr(0, slash);
  return {dir, path.substr(slash + 1)};
}

Result<UniqueFd> OpenDirectory(const std::string& dir) {
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.valid()) return fd;
  int err = errno;
  switch (err) {
    case ENOENT:
      return Status::NotFound("checkpoint directory " + dir + " does not exist");
    case ENOTDIR:
      return Status::InvalidArgument(dir + " is not a directory");
    case EACCES:
    case EPERM:
      return Status::PermissionDenied("checkpoint directory " + dir +
                                      " is not accessible: " + std::strerror(err));
    default:
      return ErrnoStatus("cannot open directory " + dir, err);
  }
}

Status CreateError(const std::string& dir, const std::string& what, int err) {
  switch (err) {
    case EROFS:
    case EACCES:
    case EPERM:
      return Status::PermissionDenied("checkpoint directory " + dir +
                                      " is not writable: " + std::strerror(err));
    case ENOSPC:
      return Status::ResourceExhausted("no space left on device creating " + what);
    case EDQUOT:
      return Status::ResourceExhausted("disk quota exceeded creating " + what);
    case ENAMETOOLONG:
      return Status::InvalidArgument("the name of " + what + " is too long");
    default:
      return ErrnoStatus("cannot create " + what, err);
  }
}

Status WriteError(const std::string& path, int err) {
  switch (err) {
    case ENOSPC:
      return Status::ResourceExhausted("no space left on device writing " + path);
    case EDQUOT:
      return Status::ResourceExhausted("disk quota exceeded writing " + path);
    default:
      return ErrnoStatus("cannot write " + path, err);
  }
}

}  // namespace stasis::storage
