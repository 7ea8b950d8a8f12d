// Status: the error type that crosses module boundaries (shaped like
// LevelDB's Status). A Status is either OK or a code plus one user-facing
// sentence; context is prepended as it travels up ("dump job x: ...").
#pragma once

#include <string>
#include <string_view>
#include <utility>

namespace stasis {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,  // bad input from the user; retrying cannot help
  kNotFound,         // unknown job, pid, path, key
  kAlreadyExists,
  kFailedPrecondition,  // state forbids it (job running, dump in progress)
  kPermissionDenied,
  kUnavailable,  // transient: retrying may help (network, 5xx)
  kCorruption,   // damaged, truncated or foreign checkpoint
  kIOError,
  kResourceExhausted,  // no space, no memory budget
  kUnimplemented,
  kInternal,
};

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status OK() { return Status(); }
  static Status InvalidArgument(std::string m) {
    return {StatusCode::kInvalidArgument, std::move(m)};
  }
  static Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
  static Status AlreadyExists(std::string m) { return {StatusCode::kAlreadyExists, std::move(m)}; }
  static Status FailedPrecondition(std::string m) {
    return {StatusCode::kFailedPrecondition, std::move(m)};
  }
  static Status PermissionDenied(std::string m) {
    return {StatusCode::kPermissionDenied, std::move(m)};
  }
  static Status Unavailable(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
  static Status Corruption(std::string m) { return {StatusCode::kCorruption, std::move(m)}; }
  static Status IOError(std::string m) { return {StatusCode::kIOError, std::move(m)}; }
  static Status ResourceExhausted(std::string m) {
    return {StatusCode::kResourceExhausted, std::move(m)};
  }
  static Status Unimplemented(std::string m) { return {StatusCode::kUnimplemented, std::move(m)}; }
  static Status Internal(std::string m) { return {StatusCode::kInternal, std::move(m)}; }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // Returns a copy whose message reads "context: message". OK stays OK.
  Status WithContext(std::string_view context) const;

  // "OK" or the message; the code is for programs, the message for people.
  std::string ToString() const { return ok() ? "OK" : message_; }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

std::string_view StatusCodeName(StatusCode code);

// Maps an errno value to a Status with a matching code, e.g.
// ErrnoStatus("open /x", ENOENT) -> NotFound("open /x: No such file or directory").
Status ErrnoStatus(std::string_view context, int err);

}  // namespace stasis

// Propagates a non-OK Status. Not an expression; use as a statement.
#define RETURN_IF_ERROR(expr)      \
  do {                             \
    ::stasis::Status _st = (expr); \
    if (!_st.ok()) return _st;     \
  } while (0)
