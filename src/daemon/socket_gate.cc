#include "daemon/socket_gate.h"

#include <fcntl.h>
#include <grp.h>
#include <grpcpp/server_posix.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "common/log.h"
#include "daemon/caller_identity.h"

namespace stasis::daemon {

Result<std::unique_ptr<SocketGate>> SocketGate::Open(const std::string& path,
                                                     const std::string& group) {
  std::optional<gid_t> gid;
  if (!group.empty()) {
    struct group g {};
    struct group* found = nullptr;
    std::vector<char> buf(16384);
    if (::getgrnam_r(group.c_str(), &g, buf.data(), buf.size(), &found) != 0 || found == nullptr)
      return Status::InvalidArgument("group '" + group +
                                     "' (config key group) does not exist; create it with "
                                     "groupadd or leave group empty for root only");
    gid = g.gr_gid;
  }
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path)
    return Status::InvalidArgument("socket path " + path + " is too long");
  std::strcpy(addr.sun_path, path.c_str());
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd.valid()) return ErrnoStatus("cannot create a socket", errno);
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
    return ErrnoStatus("cannot listen on " + path, errno);
  // Owner and mode before listen(): no one connects in between.
  if (gid && ::chown(path.c_str(), 0, *gid) != 0) return ErrnoStatus("cannot chown " + path, errno);
  if (::chmod(path.c_str(), gid ? 0660 : 0600) != 0)
    return ErrnoStatus("cannot chmod " + path, errno);
  if (gid) {
    // The group must reach the socket: its directory (root's own, such as
    // /run/stasis; never a shared sticky one such as /tmp) becomes 0750.
    std::string dir = path.substr(0, path.rfind('/'));
    struct stat st {};
    if (!dir.empty() && ::stat(dir.c_str(), &st) == 0 && st.st_uid == 0 &&
        (st.st_mode & S_ISVTX) == 0) {
      if (::chown(dir.c_str(), 0, *gid) != 0 || ::chmod(dir.c_str(), 0750) != 0)
        return ErrnoStatus("cannot open " + dir + " to group " + group, errno);
    }
  }
  if (::listen(fd.get(), 128) != 0) return ErrnoStatus("cannot listen on " + path, errno);
  std::unique_ptr<SocketGate> gate(new SocketGate(std::move(fd), group, gid));
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) return ErrnoStatus("cannot create a pipe", errno);
  gate->stop_read_.Reset(p[0]);
  gate->stop_write_.Reset(p[1]);
  return gate;
}

SocketGate::~SocketGate() {
  Stop();
}

std::string SocketGate::RefusalMessage() const {
  if (group_.empty())
    return "permission denied: the stasis daemon admits root only (set the config key group to "
           "admit a group)";
  return "permission denied: the stasis daemon admits root and members of group '" + group_ +
         "' only";
}

bool SocketGate::Admits(int fd) const {
  auto peer = PeerOf(fd);
  if (!peer.ok()) return false;
  if (peer->is_root()) return true;
  return gid_.has_value() && peer->InGroup(*gid_);
}

void SocketGate::Serve(grpc::Server* admitted, grpc::Server* refused) {
  thread_ = std::thread([this, admitted, refused] { AcceptLoop(admitted, refused); });
}

void SocketGate::AcceptLoop(grpc::Server* admitted, grpc::Server* refused) {
  for (;;) {
    pollfd fds[2] = {{listener_.get(), POLLIN, 0}, {stop_read_.get(), POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      STASIS_LOG(Error) << "the daemon socket stopped accepting: " << std::strerror(errno);
      return;
    }
    if (fds[1].revents != 0) return;
    int fd = ::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;  // EAGAIN, a peer that left, or out of fds for now
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
    if (Admits(fd)) {
      grpc::AddInsecureChannelFromFd(admitted, fd);
    } else {
      ucred peer{};
      socklen_t len = sizeof peer;
      ::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &peer, &len);
      STASIS_LOG(Warn) << "refused a connection from uid " << peer.uid << " (pid " << peer.pid
                       << ")";
      grpc::AddInsecureChannelFromFd(refused, fd);
    }
  }
}

void SocketGate::Stop() {
  if (!thread_.joinable()) return;
  char b = 1;
  ssize_t ignored = ::write(stop_write_.get(), &b, 1);
  (void)ignored;
  thread_.join();
}

grpc::ServerGenericBidiReactor* RefusingService::CreateReactor(
    grpc::GenericCallbackServerContext*) {
  class Refusal final : public grpc::ServerGenericBidiReactor {
   public:
    explicit Refusal(const std::string& message) {
      Finish(grpc::Status(grpc::StatusCode::PERMISSION_DENIED, message));
    }
    void OnDone() override { delete this; }
  };
  return new Refusal(message_);
}

}  // namespace stasis::daemon
