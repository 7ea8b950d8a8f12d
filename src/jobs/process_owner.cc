#include "jobs/process_owner.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/unique_fd.h"
#include "jobs/process_tree.h"

namespace stasis::jobs {

namespace {

// What /proc/<pid>/task/<tid>/status says about one task's credentials.
struct TaskCreds {
  std::vector<uint32_t> uids;  // real, effective, saved, filesystem
  std::vector<uint32_t> gids;
  uint64_t cap_prm = 0, cap_eff = 0, cap_amb = 0;
  bool has_caps = false;    // CapPrm and CapEff were found (CapAmb is 4.3+)
  bool has_memory = false;  // a VmSize line: the kernel prints it only while there is an mm
  uid_t file_uid = 0;       // owner of the status file: see CheckTask()
};

// The value after "Key:" on its line of `text`, or empty.
std::string_view Field(std::string_view text, std::string_view key) {
  size_t at = 0;
  while (at < text.size()) {
    size_t end = text.find('\n', at);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(at, end - at);
    if (line.size() > key.size() && line.substr(0, key.size()) == key && line[key.size()] == ':')
      return line.substr(key.size() + 1);
    at = end + 1;
  }
  return {};
}

std::vector<uint32_t> Ids(std::string_view value) {
  std::vector<uint32_t> out;
  const char* p = value.data();
  const char* end = p + value.size();
  while (p < end) {
    while (p < end && (*p == ' ' || *p == '\t')) ++p;
    uint32_t id = 0;
    auto [next, ec] = std::from_chars(p, end, id);
    if (ec != std::errc()) break;
    out.push_back(id);
    p = next;
  }
  return out;
}

bool Hex(std::string_view value, uint64_t* out) {
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  return std::from_chars(value.data(), value.data() + value.size(), *out, 16).ec == std::errc();
}

// NotFound when the task is gone (ENOENT, or ESRCH from read()).
Result<TaskCreds> ReadTask(int pid, int tid) {
  std::string path = "/proc/" + std::to_string(pid) + "/task/" + std::to_string(tid) + "/status";
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return ErrnoStatus("cannot open " + path, errno);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return ErrnoStatus("cannot stat " + path, errno);
  ASSIGN_OR_RETURN(std::string text, ReadProcFile(fd.get()));
  TaskCreds c;
  c.file_uid = st.st_uid;
  c.uids = Ids(Field(text, "Uid"));
  c.gids = Ids(Field(text, "Gid"));
  c.has_caps = Hex(Field(text, "CapPrm"), &c.cap_prm) && Hex(Field(text, "CapEff"), &c.cap_eff);
  if (!Hex(Field(text, "CapAmb"), &c.cap_amb)) c.cap_amb = 0;
  c.has_memory = !Field(text, "VmSize").empty();
  if (c.uids.size() != 4 || c.gids.size() != 4 || !c.has_caps)
    return Status::Internal("cannot make out the owner of task " + std::to_string(tid) + " from " +
                            path);
  return c;
}

// The threads of `pid`; empty when the process is gone.
std::vector<int> Tasks(int pid) {
  std::vector<int> out;
  DIR* d = ::opendir(("/proc/" + std::to_string(pid) + "/task").c_str());
  if (d == nullptr) return out;
  while (dirent* e = ::readdir(d)) {
    int tid = 0;
    std::string_view name = e->d_name;
    auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), tid);
    if (ec == std::errc() && end == name.data() + name.size() && tid > 0) out.push_back(tid);
  }
  ::closedir(d);
  return out;
}

std::string Describe(int pid, int tid) {
  std::string p = "process " + std::to_string(pid);
  return tid == pid ? p : "thread " + std::to_string(tid) + " of " + p;
}

// ptrace's rule for one task (see process_owner.h).
Status CheckTask(int pid, int tid, const TaskCreds& c, const Caller& caller) {
  constexpr std::string_view kOwnOnly = "; you may checkpoint only your own processes";
  for (uint32_t uid : c.uids)
    if (uid != caller.uid)
      return Status::PermissionDenied(Describe(pid, tid) + " belongs to another user" +
                                      std::string(kOwnOnly));
  for (uint32_t gid : c.gids)
    if (!caller.InGroup(gid))
      return Status::PermissionDenied(Describe(pid, tid) + " runs with group " +
                                      std::to_string(gid) + ", which is not yours" +
                                      std::string(kOwnOnly));
  if ((c.cap_prm | c.cap_eff | c.cap_amb) != 0)
    return Status::PermissionDenied(Describe(pid, tid) +
                                    " has elevated capabilities; you may checkpoint only your own "
                                    "unprivileged processes");
  // /proc shows a task's files as its owner's only while it is dumpable
  // (the kernel's task_dump_owner(); root's otherwise). There is no status
  // line for the flag. A task without memory (a zombie, or one exiting) is
  // shown as root's too, but has nothing left to give away; the status file
  // is stat'ed before it is read, and a task never gets its memory back.
  if (c.has_memory && c.file_uid != caller.uid)
    return Status::PermissionDenied(
        Describe(pid, tid) +
        " is not dumpable (it changed its user or group, or asked not to be inspected); you may "
        "checkpoint only processes you could trace yourself");
  return Status::OK();
}

}  // namespace

Status CheckTreeOwnedBy(int pid, const Caller& caller) {
  if (caller.is_root()) return Status::OK();
  Status gone = Status::NotFound("no process with PID " + std::to_string(pid));
  if (pid <= 0) return gone;
  std::vector<int> tree = ProcessTree(pid);
  if (tree.empty()) return gone;
  for (int p : tree) {
    std::vector<int> tasks = Tasks(p);
    if (tasks.empty() && p == pid) return gone;
    for (int tid : tasks) {
      auto creds = ReadTask(p, tid);
      if (!creds.ok()) {
        if (creds.status().code() != StatusCode::kNotFound) return creds.status();
        // A thread or a descendant that ended meanwhile will not be
        // checkpointed; the process asked for must still be there.
        if (tid == pid) return gone;
        continue;
      }
      RETURN_IF_ERROR(CheckTask(p, tid, *creds, caller));
    }
  }
  return Status::OK();
}

std::optional<Caller> SoleOwnerOf(int pid) {
  auto root = ReadTask(pid, pid);
  if (!root.ok() || root->uids[0] == 0) return std::nullopt;
  Caller owner;
  owner.uid = root->uids[0];
  owner.gid = root->gids[0];
  if (!CheckTreeOwnedBy(pid, owner).ok()) return std::nullopt;
  return owner;
}

}  // namespace stasis::jobs
