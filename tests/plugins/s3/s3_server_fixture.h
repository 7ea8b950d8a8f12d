// A real S3-compatible server (s3rver, installed by scripts/setup.sh) on a
// free loopback port for the duration of a test suite.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

namespace stasis::s3 {

class S3ServerFixture {
 public:
  // Starts the server with `bucket`; empty endpoint() if it cannot start.
  explicit S3ServerFixture(const std::string& bucket) {
    char tmpl[] = "/tmp/stasis-s3rver-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) return;
    dir_ = tmpl;
    port_ = FreePort();
    std::string cmd = std::string(STASIS_S3SERVER_START) + " " + std::to_string(port_) + " " +
                      dir_ + "/data " + bucket;
    FILE* p = ::popen(cmd.c_str(), "r");
    if (p == nullptr) return;
    if (std::fscanf(p, "%d", &pid_) != 1) pid_ = 0;
    ::pclose(p);
  }
  ~S3ServerFixture() {
    if (pid_ > 0) ::kill(pid_, SIGKILL);
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }
  bool ok() const { return pid_ > 0; }
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }
  // The AWS CLI against this server, for checks by an independent client.
  std::string Aws(const std::string& args) const {
    return "AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_DEFAULT_REGION=us-east-1 "
           "aws --endpoint-url " +
           endpoint() + " " + args;
  }

 private:
  static int FreePort() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    ::close(fd);
    return ntohs(a.sin_port);
  }
  std::string dir_;
  int port_ = 0;
  int pid_ = 0;
};

}  // namespace stasis::s3
