// The daemon's door: its UNIX socket, and who may come in. Root always; the
// members of the configured group too (the socket is then 0660 and owned by
// that group). Every connection's peer is checked again with SO_PEERCRED,
// so a socket whose mode was loosened by hand still admits no one else:
// admitted connections go to the daemon's gRPC server, refused ones to a
// server that answers every call with one sentence saying why.
#pragma once

#include <grpcpp/generic/async_generic_service.h>
#include <grpcpp/grpcpp.h>
#include <sys/types.h>

#include <atomic>
#include <optional>
#include <string>
#include <thread>

#include "common/result.h"
#include "common/unique_fd.h"

namespace stasis::daemon {

class SocketGate {
 public:
  // Resolves `group` ("" = root only), binds `path` and sets its owner and
  // mode. Fails when the group does not exist or the path cannot be bound.
  static Result<std::unique_ptr<SocketGate>> Open(const std::string& path,
                                                  const std::string& group);
  ~SocketGate();

  // Accepts connections on a thread of its own until Stop().
  void Serve(grpc::Server* admitted, grpc::Server* refused);
  void Stop();
  // What a refused peer is told.
  std::string RefusalMessage() const;

 private:
  SocketGate(UniqueFd listener, std::string group, std::optional<gid_t> gid)
      : listener_(std::move(listener)), group_(std::move(group)), gid_(gid) {}
  bool Admits(int fd) const;
  void AcceptLoop(grpc::Server* admitted, grpc::Server* refused);

  UniqueFd listener_;
  UniqueFd stop_read_, stop_write_;
  const std::string group_;
  const std::optional<gid_t> gid_;
  std::thread thread_;
};

// Answers every call on a refused connection with PERMISSION_DENIED.
class RefusingService final : public grpc::CallbackGenericService {
 public:
  explicit RefusingService(std::string message) : message_(std::move(message)) {}
  grpc::ServerGenericBidiReactor* CreateReactor(grpc::GenericCallbackServerContext*) override;

 private:
  const std::string message_;
};

}  // namespace stasis::daemon
