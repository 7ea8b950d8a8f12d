#include "cli/cli_context.h"

#include <grpcpp/grpcpp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstring>
#include <iostream>

namespace stasis::cli {

int Fail(const std::string& message) {
  std::cerr << "stasis: " << message << "\n";
  return 1;
}

int Fail(const Status& status) {
  return Fail(status.message());
}

Result<config::Config> CliContext::LoadedConfig() {
  if (!config_) {
    // Only the default file may be missing (defaults apply): a file named
    // on purpose that is not there is a typo, not a wish for defaults.
    if (config_path != config::kDefaultConfigPath && ::access(config_path.c_str(), F_OK) != 0 &&
        errno == ENOENT)
      return Status::NotFound("config file " + config_path +
                              " does not exist (named by --config or STASIS_CONFIG); create it "
                              "with `stasis config init` or name another");
    ASSIGN_OR_RETURN(config::Config c, config::LoadConfig(config_path));
    if (!address.empty()) c.address = address;
    config_ = std::make_unique<config::Config>(std::move(c));
  }
  return *config_;
}

Result<v1::Daemon::Stub*> CliContext::Daemon() {
  if (stub_) return stub_.get();
  ASSIGN_OR_RETURN(config::Config c, LoadedConfig());
  const std::string& socket = c.address;
  const std::string who = c.group.empty()
                              ? "run stasis as root"
                              : "run stasis as root or as a member of group '" + c.group + "'";
  struct stat st {};
  if (::stat(socket.c_str(), &st) != 0) {
    if (errno == EACCES)
      return Status::PermissionDenied("permission denied reaching the daemon socket " + socket +
                                      "; " + who);
    return Status::Unavailable("the stasis daemon is not running (no socket at " + socket +
                               "); start it with `sudo stasis daemon start`");
  }
  if (::access(socket.c_str(), R_OK | W_OK) != 0)
    return Status::PermissionDenied("permission denied on the daemon socket " + socket + "; " +
                                    who);
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(64 << 20);
  auto channel =
      grpc::CreateCustomChannel("unix:" + socket, grpc::InsecureChannelCredentials(), args);
  if (!channel->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(3)))
    return Status::Unavailable("the stasis daemon is not answering on " + socket +
                               "; start it with `sudo stasis daemon start`");
  stub_ = v1::Daemon::NewStub(channel);
  return stub_.get();
}

}  // namespace stasis::cli

namespace stasis::cli {
std::string AbsoluteLocation(const std::string& location) {
  if (location.empty() || location[0] == '/' || location.find("://") != std::string::npos)
    return location;
  // "s3:/x" or "file:x" is a mistyped URI, not a file in the current
  // directory: leave it for the daemon to refuse with a clear sentence.
  size_t colon = location.find(':');
  if (colon != std::string::npos && colon > 0 && location.find('/') > colon &&
      std::all_of(location.begin(), location.begin() + static_cast<std::ptrdiff_t>(colon),
                  [](unsigned char c) { return std::isalnum(c) != 0; }))
    return location;
  char cwd[4096];
  if (::getcwd(cwd, sizeof cwd) == nullptr) return location;
  std::string out = cwd;
  std::string rel = location;
  if (rel.rfind("./", 0) == 0) rel.erase(0, 2);
  if (rel == ".") return out;
  return out + "/" + rel;
}
}  // namespace stasis::cli
