#include "criu/cli_engine.h"

#include <signal.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "common/subprocess.h"
#include "criu/criu_errors.h"

namespace stasis::criu {

namespace {

// Long enough for many GiB through a slow disk; bounded so nothing hangs forever.
constexpr int kCriuTimeoutSeconds = 3600;

void AddFlags(std::vector<std::string>* argv, bool tcp, bool shell, bool ext_unix, bool locks) {
  if (tcp) argv->push_back("--tcp-established");
  if (shell) argv->push_back("--shell-job");
  if (ext_unix) argv->push_back("--ext-unix-sk");
  if (locks) argv->push_back("--file-locks");
}

int ReadPidFile(const std::string& path) {
  std::ifstream in(path);
  int pid = 0;
  if (!(in >> pid)) return 0;
  return pid;
}

}  // namespace

std::string ParseCriuVersion(const std::string& output) {
  std::istringstream in(output);
  std::string line;
  while (std::getline(in, line)) {
    const std::string key = "Version: ";
    if (line.rfind(key, 0) == 0) return line.substr(key.size());
  }
  return "";
}

bool VersionAtLeast(const std::string& version, int major, int minor) {
  int ma = 0, mi = 0;
  if (std::sscanf(version.c_str(), "%d.%d", &ma, &mi) < 1) return false;
  return ma > major || (ma == major && mi >= minor);
}

Status CliEngine::Dump(const DumpOptions& o) {
  std::string images = o.images_dir.string();
  SubprocessOptions sp;
  sp.argv = {criu_, "dump",     "-t", std::to_string(o.pid), "-D", images, "--leave-stopped",
             "-o",  "dump.log", "-v4"};
  AddFlags(&sp.argv, o.tcp_established, o.shell_job, o.ext_unix_sk, o.file_locks);
  if (!o.prev_images_dir.empty()) {
    sp.argv.push_back("--prev-images-dir");
    sp.argv.push_back(o.prev_images_dir.string());
    sp.argv.push_back("--track-mem");
  }
  if (o.stream) sp.argv.push_back("--stream");
  if (o.owner.has_value()) {
    sp.argv.push_back("--unprivileged");
    sp.as_user_with_caps = SubprocessOptions::Identity{o.owner->uid, o.owner->gid};
  }
  sp.timeout_seconds = kCriuTimeoutSeconds;
  ASSIGN_OR_RETURN(SubprocessResult r, RunSubprocess(sp));
  if (r.exit_code == 0) return Status::OK();
  if (r.timed_out)
    return Status::Unavailable("criu dump did not finish within " +
                               std::to_string(kCriuTimeoutSeconds) + " s");
  return CriuFailure("dump", images + "/dump.log", r.output, o.pid);
}

Result<int> CliEngine::Restore(const RestoreOptions& o) {
  std::string images = o.images_dir.string();
  std::string pidfile = images + "/restore.pid";
  SubprocessOptions sp;
  sp.argv = {criu_, "restore",     "-D",  images,      "-d",
             "-o",  "restore.log", "-v4", "--pidfile", pidfile};
  AddFlags(&sp.argv, o.tcp_established, o.shell_job, o.ext_unix_sk, o.file_locks);
  for (const InheritFd& f : o.inherit_fds) {
    sp.argv.push_back("--inherit-fd");
    sp.argv.push_back("fd[" + std::to_string(f.fd) + "]:" + f.key);
    sp.inherit_fds.push_back(f.fd);
  }
  if (o.stream) sp.argv.push_back("--stream");
  sp.timeout_seconds = kCriuTimeoutSeconds;
  ASSIGN_OR_RETURN(SubprocessResult r, RunSubprocess(sp));
  int pid = ReadPidFile(pidfile);
  if (r.exit_code == 0 && pid > 0) return pid;
  // A half-restored tree must not run on: the caller was told it failed.
  if (pid > 0) ::kill(pid, SIGKILL);
  if (r.exit_code == 0) return Status::Internal("criu restore did not report the restored pid");
  return CriuFailure("restore", images + "/restore.log", r.output, 0);
}

Result<std::string> CliEngine::Version() {
  SubprocessOptions sp;
  sp.argv = {criu_, "--version"};
  sp.timeout_seconds = 30;
  ASSIGN_OR_RETURN(SubprocessResult r, RunSubprocess(sp));
  std::string v = ParseCriuVersion(r.output);
  if (r.exit_code != 0 || v.empty())
    return Status::FailedPrecondition(criu_ + " --version did not report a version");
  return v;
}

Result<std::string> CliEngine::Check() {
  SubprocessOptions sp;
  sp.argv = {criu_, "check"};
  sp.timeout_seconds = 60;
  ASSIGN_OR_RETURN(SubprocessResult r, RunSubprocess(sp));
  if (r.output.find("Looks good") != std::string::npos) return std::string("Looks good.");
  std::string out = r.output;
  while (!out.empty() && out.back() == '\n') out.pop_back();
  size_t nl = out.rfind('\n');
  return Status::FailedPrecondition("criu check failed: " +
                                    (nl == std::string::npos ? out : out.substr(nl + 1)));
}

}  // namespace stasis::criu
