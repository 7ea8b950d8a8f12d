// Who sent a request to the daemon: the peer credentials of its connection
// (SO_PEERCRED and SO_PEERGROUPS, read once when the socket gate accepted
// it). Root may do anything; anyone else acts only on what is theirs, with
// their own rights (see README "Sharing the daemon").
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace stasis {

struct Caller {
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;  // supplementary groups, without gid
  pid_t pid = 0;              // the client process, for logs only

  bool is_root() const { return uid == 0; }
  // True when `g` is the caller's primary or a supplementary group.
  bool InGroup(gid_t g) const {
    if (g == gid) return true;
    for (gid_t s : groups)
      if (s == g) return true;
    return false;
  }
  // "uid 1001" (user names are looked up nowhere: the daemon's view of
  // /etc/passwd need not be the caller's).
  std::string Describe() const { return "uid " + std::to_string(uid); }
};

// The daemon itself, and in-process callers such as recovery at start.
inline Caller RootCaller() {
  return Caller{};
}

}  // namespace stasis
