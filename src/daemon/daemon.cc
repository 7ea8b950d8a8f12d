#include "daemon/daemon.h"

#include <fcntl.h>
#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <thread>

#include "common/log.h"
#include "common/redact.h"
#include "common/unique_fd.h"
#include "criu/engine.h"
#include "daemon/checkpointer.h"
#include "daemon/job_manager.h"
#include "daemon/service.h"
#include "daemon/socket_gate.h"
#include "jobs/registry.h"
#include "plugins/loader/plugin_catalog.h"
#include "storage/storage_registry.h"
#include "stream/signing_key.h"

namespace stasis::daemon {

namespace fs = std::filesystem;

namespace {

// True when something accepts connections on the socket path.
bool SocketLive(const std::string& path) {
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (!fd.valid() || path.size() >= sizeof addr.sun_path) return false;
  std::strcpy(addr.sun_path, path.c_str());
  return ::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
}

Status PrepareDirs(const config::Config& config) {
  std::error_code ec;
  for (const std::string& d : {config.state_dir, fs::path(config.db_path).parent_path().string(),
                               fs::path(config.address).parent_path().string()}) {
    fs::create_directories(d, ec);
    if (ec) return Status::IOError("cannot create " + d + ": " + ec.message());
  }
  ::chmod(config.state_dir.c_str(), 0700);
  if (config.checkpoint_dir.starts_with('/') && !fs::exists(config.checkpoint_dir)) {
    fs::create_directories(config.checkpoint_dir, ec);
    if (!ec) ::chmod(config.checkpoint_dir.c_str(), 0700);
  }
  return Status::OK();
}

// Tells a waiting parent (--detach) how start-up went.
void Report(int fd, const std::string& msg) {
  if (fd < 0) return;
  ssize_t ignored = ::write(fd, msg.data(), msg.size());
  (void)ignored;
  ::close(fd);
}

// checkpoint.signing_key_file, else a key of this host's own in the state
// directory, made at first start.
Result<stream::SigningKey> LoadSigningKey(const config::Config& config) {
  if (!config.checkpoint_signing_key_file.empty())
    return stream::SigningKey::FromFile(config.checkpoint_signing_key_file);
  return stream::SigningKey::LoadOrCreate(config.state_dir + "/signing.key");
}

// Every secret the daemon holds is redacted wherever it might be written
// down (common/redact.h): a job's environment, manifests, the log.
void RememberSecrets(const config::Config& config, const stream::SigningKey& signing_key) {
  AddSecretValue(signing_key.SecretHex());
  AddSecretValue(config.checkpoint_encryption_key);
  AddSecretValue(config.aws.secret_access_key);
  AddSecretValue(config.aws.session_token);
  for (const char* name :
       {"AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "STASIS_CHECKPOINT_ENCRYPTION_KEY",
        "STASIS_AWS_SECRET_ACCESS_KEY", "STASIS_AWS_SESSION_TOKEN"}) {
    const char* value = std::getenv(name);
    if (value != nullptr) AddSecretValue(value);
  }
  if (!config.checkpoint_encryption_key_file.empty()) {
    // Hex or raw bytes: whichever form the file holds is what could leak.
    std::ifstream in(config.checkpoint_encryption_key_file, std::ios::binary);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    size_t begin = text.find_first_not_of(" \t\r\n");
    size_t end = text.find_last_not_of(" \t\r\n");
    if (begin != std::string::npos) AddSecretValue(text.substr(begin, end - begin + 1));
  }
}

int Serve(const config::Config& config, int report_fd) {
  auto fail = [&](const std::string& msg) {
    std::cerr << "stasis daemon: " << msg << "\n";
    Report(report_fd, msg);
    return 1;
  };
  LogLevel level;
  if (ParseLogLevel(config.log_level, &level)) SetLogLevel(level);
  ::umask(077);
  if (::getuid() != 0) return fail("the daemon must run as root (CRIU needs it)");
  Status st = PrepareDirs(config);
  if (!st.ok()) return fail(st.message());
  if (SocketLive(config.address))
    return fail("a stasis daemon is already running on " + config.address);
  ::unlink(config.address.c_str());

  // Restored trees are re-parented to us when CRIU exits, so we can reap them.
  ::prctl(PR_SET_CHILD_SUBREAPER, 1);

  // s3:// and other plugin schemes load on first use from plugins.dir.
  plugins::EnablePluginLoading(config.plugins_dir, config::AwsConfigJson(config));
  // Uploads an earlier run could not abort: opening the S3 storage starts
  // its janitor, which finishes them (no bucket is contacted to open it).
  if (std::filesystem::exists(config.state_dir + "/s3-pending-aborts.json")) {
    auto s3 = storage::StorageFor("s3://stasis-pending-aborts");
    if (!s3.ok()) STASIS_LOG(Warn) << "cannot resume pending S3 aborts: " << s3.status().message();
  }

  auto registry = jobs::Registry::Open(config.db_path);
  if (!registry.ok()) return fail(registry.status().message());
  auto engine = criu::OpenEngine(config.criu_path);
  if (!engine.ok()) STASIS_LOG(Warn) << engine.status().message();
  criu::Engine* engine_ptr = engine.ok() ? engine->get() : nullptr;

  JobManager jobs(registry->get(), config.state_dir);
  st = jobs.Reconcile();
  if (!st.ok()) return fail(st.message());
  auto signing_key = LoadSigningKey(config);
  if (!signing_key.ok()) return fail(signing_key.status().message());
  RememberSecrets(config, *signing_key);
  Checkpointer checkpointer(&config, engine_ptr, &jobs, registry->get(), &*signing_key);
  // In the background: it may wait for an orphaned CRIU to let go of a tree.
  std::thread recovery([&checkpointer] { checkpointer.RecoverInterruptedDumps(); });
  struct JoinAtExit {
    std::thread& t;
    ~JoinAtExit() { t.join(); }
  } join_recovery{recovery};
  DaemonService service(&config, engine_ptr, &jobs, &checkpointer, registry->get());

  // SIGTERM/SIGINT are taken by sigwait below, never by gRPC's threads.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  // The socket is ours (socket_gate.h); gRPC gets each admitted connection.
  auto gate = SocketGate::Open(config.address, config.group);
  if (!gate.ok()) return fail(gate.status().message());
  grpc::ServerBuilder builder;
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  RefusingService refusing((*gate)->RefusalMessage());
  grpc::ServerBuilder refusing_builder;
  refusing_builder.RegisterCallbackGenericService(&refusing);
  std::unique_ptr<grpc::Server> refuser = refusing_builder.BuildAndStart();
  if (!server || !refuser) return fail("cannot start the gRPC server");
  (*gate)->Serve(server.get(), refuser.get());
  STASIS_LOG(Info) << "stasis daemon " << STASIS_VERSION << " listening on " << config.address
                   << (config.group.empty() ? " (root only)"
                                            : " (root and group " + config.group + ")");
  std::string pidfile = config.state_dir + "/daemon.pid";
  {
    std::string pid = std::to_string(::getpid()) + "\n";
    UniqueFd pf(::open(pidfile.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    if (pf.valid()) {
      ssize_t ignored = ::write(pf.get(), pid.data(), pid.size());
      (void)ignored;
    }
  }
  Report(report_fd, "ok");

  int sig = 0;
  sigwait(&stop, &sig);
  STASIS_LOG(Info) << "signal " << sig << ": shutting down (jobs keep running)";
  (*gate)->Stop();
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
  refuser->Shutdown(std::chrono::system_clock::now());
  ::unlink(config.address.c_str());
  ::unlink(pidfile.c_str());
  return 0;
}

}  // namespace

int RunDaemon(const config::Config& config, const DaemonOptions& options) {
  if (!options.detach) return Serve(config, -1);

  int pipefd[2];
  if (::pipe2(pipefd, O_CLOEXEC) != 0) {
    std::perror("stasis daemon: pipe");
    return 1;
  }
  pid_t pid = ::fork();
  if (pid < 0) {
    std::perror("stasis daemon: fork");
    return 1;
  }
  if (pid == 0) {
    ::close(pipefd[0]);
    ::setsid();
    std::error_code ec;
    fs::create_directories(config.state_dir, ec);
    std::string log = config.state_dir + "/daemon.log";
    int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    int in = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (out >= 0) {
      ::dup2(out, STDOUT_FILENO);
      ::dup2(out, STDERR_FILENO);
    }
    if (in >= 0) ::dup2(in, STDIN_FILENO);
    ::_exit(Serve(config, pipefd[1]));
  }
  ::close(pipefd[1]);
  std::string msg;
  char buf[512];
  ssize_t n;
  while ((n = ::read(pipefd[0], buf, sizeof buf)) > 0) msg.append(buf, static_cast<size_t>(n));
  ::close(pipefd[0]);
  if (msg == "ok") {
    std::cout << "stasis daemon started (pid " << pid << "), listening on " << config.address
              << "\n";
    return 0;
  }
  std::cerr << "stasis daemon: "
            << (msg.empty() ? "failed to start; see " + config.state_dir + "/daemon.log" : msg)
            << "\n";
  return 1;
}

}  // namespace stasis::daemon
