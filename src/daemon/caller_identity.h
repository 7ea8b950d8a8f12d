// Who sent a gRPC request. The socket gate hands each accepted connection
// to gRPC as a file descriptor, and gRPC names such a peer "fd:N"; the
// kernel still holds that socket's peer credentials (SO_PEERCRED,
// SO_PEERGROUPS, taken at connect). gRPC keeps the descriptor open while a
// call on its connection is being handled (a closed connection is only
// shut down until its last call ends), so N cannot meanwhile name another
// client's socket.
#pragma once

#include <grpcpp/grpcpp.h>

#include "common/caller.h"
#include "common/result.h"

namespace stasis::daemon {

// The peer credentials of the connection `ctx` came in on. PermissionDenied
// when they cannot be read: a request from an unknown caller is refused.
Result<Caller> CallerOf(const grpc::ServerContext& ctx);

// The credentials of a connected UNIX socket.
Result<Caller> PeerOf(int fd);

}  // namespace stasis::daemon
