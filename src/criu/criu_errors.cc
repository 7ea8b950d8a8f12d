#include "criu/criu_errors.h"

#include <fstream>
#include <sstream>
#include <vector>

namespace stasis::criu {

namespace {

struct Hint {
  const char* needle;  // text in CRIU's log
  const char* flag;    // the dump option that lets CRIU handle it
};

// Matched against the whole log, since CRIU states the cause in a line
// before the generic "Dumping FAILED".
const Hint kHints[] = {
    {"tcp-established", "--tcp-established"},
    {"Connected TCP socket", "--tcp-established"},
    {"ext-unix-sk", "--ext-unix-sk"},
    {"External socket is used", "--ext-unix-sk"},
    {"file-locks", "--file-locks"},
    {"Some file locks are hold", "--file-locks"},
    {"shell-job", "--shell-job"},
    {"A session leader of", "--shell-job"},
};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

const char kProcMountCollision[] =
    "another dump was mounting /proc in the same working directory (CRIU's proc.crtools)";

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\r')) s.pop_back();
  size_t i = 0;
  while (i < s.size() && s[i] == ' ') ++i;
  return s.substr(i);
}

}  // namespace

bool IsProcMountCollision(const Status& st) {
  return st.code() == StatusCode::kUnavailable &&
         st.message().find(kProcMountCollision) != std::string::npos;
}

// Errors CRIU logs and then carries on from (it raises RLIMIT_NOFILE where
// it can, and lives without it where CAP_SYS_RESOURCE is missing), and the
// generic last words: neither says what went wrong.
bool Uninformative(const std::string& msg) {
  return msg.starts_with("rlimit:") || msg.find("FAILED") != std::string::npos;
}

std::string FirstErrorLine(const std::string& log_text) {
  std::istringstream in(log_text);
  std::string line, fallback;
  while (std::getline(in, line)) {
    size_t at = line.find("Error (");
    if (at == std::string::npos) continue;
    size_t colon = line.find("): ", at);
    std::string msg = Trim(colon == std::string::npos ? line.substr(at) : line.substr(colon + 3));
    if (!Uninformative(msg)) return msg;
    if (fallback.empty()) fallback = msg;
  }
  return fallback;
}

Status CriuFailure(const std::string& action, const std::string& log_path,
                   const std::string& output, int pid) {
  std::string log = ReadFile(log_path);
  std::string text = log.empty() ? output : log;
  if (pid > 0 && action == "dump" &&
      (text.find("No such process") != std::string::npos ||
       text.find("Can't find pid") != std::string::npos ||
       text.find("Unable to seize") != std::string::npos) &&
      text.find("seize") != std::string::npos) {
    return Status::NotFound("no process with PID " + std::to_string(pid) + " that CRIU can freeze");
  }
  // Linux 6.16 and later answer getsockopt(SO_PASSCRED), which CRIU 4.1
  // asks of every socket, with EOPNOTSUPP for TCP and UDP sockets: no flag
  // helps, so say what is going on instead of CRIU's "Can't get 1:16 opt".
  if (action == "dump" && text.find("Can't get 1:16 opt") != std::string::npos)
    return Status::FailedPrecondition(
        "criu dump failed: this kernel refuses the SO_PASSCRED query CRIU makes of network "
        "sockets, so this CRIU cannot checkpoint a process with TCP or UDP sockets here (it needs "
        "CRIU 4.2 or newer); CRIU log: " +
        log_path);
  if (action == "dump" && text.find("Can't create a directory (-17)") != std::string::npos)
    return Status::Unavailable(std::string("criu dump failed: ") + kProcMountCollision +
                               "; CRIU log: " + log_path);
  std::string first = FirstErrorLine(text);
  if (first.empty()) {
    std::string tail = Trim(output);
    size_t nl = tail.rfind('\n');
    first = nl == std::string::npos ? tail : tail.substr(nl + 1);
  }
  if (first.empty()) first = "CRIU exited with an error";
  std::string flag;
  for (const Hint& h : kHints) {
    if (text.find(h.needle) != std::string::npos) {
      flag = h.flag;
      break;
    }
  }
  std::string msg = "criu " + action + " failed: " + first;
  if (!flag.empty()) msg += " (retry with " + flag + ")";
  msg += "; CRIU log: " + log_path;
  return Status::Internal(msg);
}

}  // namespace stasis::criu
