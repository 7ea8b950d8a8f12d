#include "daemon/caller_identity.h"

#include <sys/socket.h>

#include <cerrno>
#include <charconv>
#include <string>

namespace stasis::daemon {

Result<Caller> PeerOf(int fd) {
  ucred cred{};
  socklen_t len = sizeof cred;
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0)
    return ErrnoStatus("cannot read the caller's credentials", errno);
  Caller caller;
  caller.uid = cred.uid;
  caller.gid = cred.gid;
  caller.pid = cred.pid;
  std::vector<gid_t> groups(64);
  for (;;) {
    socklen_t size = static_cast<socklen_t>(groups.size() * sizeof(gid_t));
    if (::getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups.data(), &size) == 0) {
      groups.resize(size / sizeof(gid_t));
      break;
    }
    if (errno != ERANGE || groups.size() >= 65536)
      return ErrnoStatus("cannot read the caller's groups", errno);
    groups.resize(size / sizeof(gid_t) + 1);
  }
  for (gid_t g : groups)
    if (g != caller.gid) caller.groups.push_back(g);
  return caller;
}

Result<Caller> CallerOf(const grpc::ServerContext& ctx) {
  const std::string peer = ctx.peer();
  constexpr std::string_view kPrefix = "fd:";
  int fd = -1;
  if (peer.starts_with(kPrefix)) {
    const char* begin = peer.data() + kPrefix.size();
    const char* end = peer.data() + peer.size();
    auto [ptr, ec] = std::from_chars(begin, end, fd);
    if (ec != std::errc() || ptr != end) fd = -1;
  }
  if (fd < 0)
    return Status::PermissionDenied("the daemon cannot tell who sent this request (peer " + peer +
                                    ")");
  auto caller = PeerOf(fd);
  if (!caller.ok())
    return Status::PermissionDenied("the daemon cannot tell who sent this request: " +
                                    caller.status().message());
  return caller;
}

}  // namespace stasis::daemon
