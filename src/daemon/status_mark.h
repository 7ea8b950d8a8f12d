// Put in the details of every gRPC status the daemon itself returns: an
// UNAVAILABLE without it comes from the transport (the daemon went away).
#pragma once

namespace stasis {
inline constexpr char kDaemonStatusMark[] = "stasis-daemon";
}  // namespace stasis
