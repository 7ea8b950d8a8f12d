#include "common/status.h"

#include <cerrno>
#include <cstring>

namespace stasis {

Status Status::WithContext(std::string_view context) const {
  if (ok()) return *this;
  std::string m(context);
  m += ": ";
  m += message_;
  return Status(code_, std::move(m));
}

std::string_view StatusCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return "OK";
    case StatusCode::kInvalidArgument:
      return "InvalidArgument";
    case StatusCode::kNotFound:
      return "NotFound";
    case StatusCode::kAlreadyExists:
      return "AlreadyExists";
    case StatusCode::kFailedPrecondition:
      return "FailedPrecondition";
    case StatusCode::kPermissionDenied:
      return "PermissionDenied";
    case StatusCode::kUnavailable:
      return "Unavailable";
    case StatusCode::kCorruption:
      return "Corruption";
    case StatusCode::kIOError:
      return "IOError";
    case StatusCode::kResourceExhausted:
      return "ResourceExhausted";
    case StatusCode::kUnimplemented:
      return "Unimplemented";
    case StatusCode::kInternal:
      return "Internal";
  }
  return "Unknown";
}

Status ErrnoStatus(std::string_view context, int err) {
  std::string m(context);
  m += ": ";
  m += std::strerror(err);
  switch (err) {
    case ENOENT:
    case ESRCH:
      return Status::NotFound(std::move(m));
    case EEXIST:
      return Status::AlreadyExists(std::move(m));
    case EACCES:
    case EPERM:
    case EROFS:
      return Status::PermissionDenied(std::move(m));
    case ENOSPC:
    case EDQUOT:
    case ENOMEM:
      return Status::ResourceExhausted(std::move(m));
    case EINVAL:
    case ENAMETOOLONG:
    case ENOTDIR:
    case EISDIR:
      return Status::InvalidArgument(std::move(m));
    case EAGAIN:
    case EINTR:
    case ETIMEDOUT:
    case ECONNRESET:
    case ECONNREFUSED:
      return Status::Unavailable(std::move(m));
    default:
      return Status::IOError(std::move(m));
  }
}

}  // namespace stasis
