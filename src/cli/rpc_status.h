// Turning a failed RPC into the sentence the user sees.
#pragma once

#include <grpcpp/grpcpp.h>

#include <string>

#include "daemon/status_mark.h"

namespace stasis::cli {

inline std::string RpcErrorMessage(const grpc::Status& st) {
  if (st.error_code() == grpc::StatusCode::UNAVAILABLE && st.error_details() != kDaemonStatusMark)
    return "lost the connection to the stasis daemon (" + st.error_message() + ")";
  return st.error_message();
}

}  // namespace stasis::cli
