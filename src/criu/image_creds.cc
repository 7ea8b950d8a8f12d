#include "criu/image_creds.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <iterator>
#include <system_error>
#include <utility>

#include "common/unique_fd.h"

namespace stasis::criu {

namespace {

namespace fs = std::filesystem;

// criu/include/magic.h: every image but the inventory starts with
// IMG_COMMON_MAGIC (service files with IMG_SERVICE_MAGIC), then its kind's.
constexpr uint32_t kImgCommonMagic = 0x54564319;
constexpr uint32_t kImgServiceMagic = 0x55105940;
constexpr uint32_t kCoreMagic = 0x55053847;
constexpr size_t kHeaderBytes = 12;  // the two magics, then the entry's u32 length

// images/core.proto: core_entry.thread_core = 5, thread_core_entry.creds = 10.
constexpr uint64_t kCoreThreadCore = 5;
constexpr uint64_t kThreadCoreCreds = 10;
// images/creds.proto (creds_entry). The fields not read here (cap_bnd = 12,
// secbits = 13, lsm_profile = 15, lsm_sockcreate = 16, apparmor_data = 17,
// no_new_privs = 18) only take privileges away, or are LSM labels.
constexpr uint64_t kCapInh = 9, kCapPrm = 10, kCapEff = 11, kGroups = 14, kCapAmb = 19;
constexpr uint64_t kLastKnownCredsField = 19;

constexpr size_t kCapWords = 2;                                // CR_CAP_SIZE, criu/include/image.h
constexpr size_t kMaxGroups = 65536;                           // NGROUPS_MAX of Linux
constexpr uint64_t kMaxFieldNumber = (uint64_t{1} << 29) - 1;  // protobuf's limit
constexpr uint64_t kMaxCoreImageBytes = uint64_t{64} << 20;

enum WireType : uint8_t {
  kVarint = 0,
  kFixed64 = 1,
  kLengthDelimited = 2,
  kStartGroup = 3,
  kEndGroup = 4,
  kFixed32 = 5,
};

// One field read off the wire: its varint value or its payload (for a
// length-delimited field); fixed-width values are skipped, as nothing here
// needs one.
struct Field {
  uint64_t number = 0;
  uint8_t wire_type = 0;
  uint64_t varint = 0;
  std::string_view payload;
};

// A cursor over untrusted protobuf bytes. Every read checks the bounds and
// fails with the reason (a Corruption message fragment) rather than reading
// past the end.
class WireReader {
 public:
  explicit WireReader(std::string_view bytes) : bytes_(bytes) {}

  bool AtEnd() const { return pos_ == bytes_.size(); }

  Status ReadVarint(uint64_t* value) {
    uint64_t v = 0;
    for (int i = 0; i < 10; ++i) {
      if (pos_ == bytes_.size())
        return Status::Corruption("a varint runs past the end of its message");
      const auto b = static_cast<uint8_t>(bytes_[pos_++]);
      // The tenth byte holds bit 63 only; more would be a value over 64 bits.
      if (i == 9 && b > 1) return Status::Corruption("a varint is longer than 64 bits");
      v |= uint64_t{b & 0x7fu} << (7 * i);
      if ((b & 0x80) == 0) {
        *value = v;
        return Status::OK();
      }
    }
    return Status::Corruption("a varint is longer than 64 bits");  // not reached
  }

  // Reads the next field; skips the value of any wire type it need not keep.
  Status ReadField(Field* f) {
    uint64_t tag = 0;
    RETURN_IF_ERROR(ReadVarint(&tag));
    f->number = tag >> 3;
    f->wire_type = static_cast<uint8_t>(tag & 7);
    // protobuf-c (which CRIU uses) keeps only 32 bits of a field number, so
    // a larger number could alias a field it reads (uid) while looking
    // unknown here: refuse every number protobuf itself does not allow.
    if (f->number == 0 || f->number > kMaxFieldNumber) {
      return Status::Corruption("a field number (" + std::to_string(f->number) +
                                ") is outside protobuf's range");
    }
    switch (f->wire_type) {
      case kVarint:
        return ReadVarint(&f->varint);
      case kFixed64:
        return Skip(8, *f);
      case kFixed32:
        return Skip(4, *f);
      case kLengthDelimited: {
        uint64_t len = 0;
        RETURN_IF_ERROR(ReadVarint(&len));
        if (len > bytes_.size() - pos_) {
          return Status::Corruption("field " + std::to_string(f->number) + " claims " +
                                    std::to_string(len) + " bytes but only " +
                                    std::to_string(bytes_.size() - pos_) + " remain");
        }
        f->payload = bytes_.substr(pos_, len);
        pos_ += len;
        return Status::OK();
      }
      case kStartGroup:
      case kEndGroup:
        // protobuf-c fails on groups, so no CRIU would restore this.
        return Status::Corruption("field " + std::to_string(f->number) +
                                  " is a protobuf group, which CRIU does not accept");
      default:
        return Status::Corruption("field " + std::to_string(f->number) +
                                  " has the invalid wire type " + std::to_string(f->wire_type));
    }
  }

 private:
  Status Skip(size_t n, const Field& f) {
    if (n > bytes_.size() - pos_) {
      return Status::Corruption("field " + std::to_string(f.number) +
                                " runs past the end of its message");
    }
    pos_ += n;
    return Status::OK();
  }

  std::string_view bytes_;
  size_t pos_ = 0;
};

Status CheckedUint32(uint64_t v, const char* what, uint32_t* out) {
  if (v > UINT32_MAX) {
    return Status::Corruption(std::string("its ") + what + " value " + std::to_string(v) +
                              " does not fit 32 bits");
  }
  *out = static_cast<uint32_t>(v);
  return Status::OK();
}

// A uint32 field that protobuf-c would accept: a varint that fits 32 bits.
Status ReadUint32(const Field& f, const char* what, uint32_t* out) {
  if (f.wire_type != kVarint) {
    return Status::Corruption(std::string("its ") + what + " is not encoded as a varint");
  }
  return CheckedUint32(f.varint, what, out);
}

// A repeated uint32 field: each occurrence appends, one varint or a packed
// run (protobuf-c accepts both), as CRIU would read it. `max` bounds what
// untrusted input can make this allocate.
Status AppendUint32s(const Field& f, const char* what, size_t max, std::vector<uint32_t>* out) {
  auto push = [&](uint64_t v) {
    uint32_t u = 0;
    RETURN_IF_ERROR(CheckedUint32(v, what, &u));
    if (out->size() == max) {
      return Status::Corruption(std::string("it holds more than ") + std::to_string(max) + " " +
                                what);
    }
    out->push_back(u);
    return Status::OK();
  };
  if (f.wire_type == kVarint) return push(f.varint);
  if (f.wire_type != kLengthDelimited) {
    return Status::Corruption(std::string("its ") + what + " are not encoded as varints");
  }
  WireReader packed(f.payload);
  while (!packed.AtEnd()) {
    uint64_t v = 0;
    RETURN_IF_ERROR(packed.ReadVarint(&v));
    RETURN_IF_ERROR(push(v));
  }
  return Status::OK();
}

// A creds_entry as decoded so far. A message field that occurs more than
// once is merged by protobuf-c (later scalars win, repeated fields append),
// which decoding every occurrence into one CredsParse reproduces.
struct CredsParse {
  TaskCreds creds;
  uint32_t ids_seen = 0;  // bit N: field N (uid .. fsgid) was present
  std::vector<uint32_t> cap_inh, cap_prm, cap_eff, cap_amb;
};

struct IdField {
  const char* name;
  uint32_t TaskCreds::*member;
};
// Indexed by field number - 1 (images/creds.proto, fields 1 to 8).
constexpr IdField kIdFields[] = {
    {"uid", &TaskCreds::uid},     {"gid", &TaskCreds::gid},     {"euid", &TaskCreds::euid},
    {"egid", &TaskCreds::egid},   {"suid", &TaskCreds::suid},   {"sgid", &TaskCreds::sgid},
    {"fsuid", &TaskCreds::fsuid}, {"fsgid", &TaskCreds::fsgid},
};
constexpr uint64_t kIdFieldCount = std::size(kIdFields);

Status ParseCreds(std::string_view bytes, CredsParse* p) {
  WireReader r(bytes);
  while (!r.AtEnd()) {
    Field f;
    RETURN_IF_ERROR(r.ReadField(&f));
    if (f.number <= kIdFieldCount) {
      const IdField& id = kIdFields[f.number - 1];
      RETURN_IF_ERROR(ReadUint32(f, id.name, &(p->creds.*id.member)));
      p->ids_seen |= 1u << f.number;
    } else if (f.number == kCapInh) {
      RETURN_IF_ERROR(AppendUint32s(f, "inheritable capability words", kCapWords, &p->cap_inh));
    } else if (f.number == kCapPrm) {
      RETURN_IF_ERROR(AppendUint32s(f, "permitted capability words", kCapWords, &p->cap_prm));
    } else if (f.number == kCapEff) {
      RETURN_IF_ERROR(AppendUint32s(f, "effective capability words", kCapWords, &p->cap_eff));
    } else if (f.number == kCapAmb) {
      RETURN_IF_ERROR(AppendUint32s(f, "ambient capability words", kCapWords, &p->cap_amb));
    } else if (f.number == kGroups) {
      RETURN_IF_ERROR(AppendUint32s(f, "supplementary groups", kMaxGroups, &p->creds.groups));
    } else if (f.number > kLastKnownCredsField) {
      // A newer CRIU may have added a field that grants something; fail
      // closed rather than vouch for credentials not fully read.
      return Status::Corruption("its creds carry field " + std::to_string(f.number) +
                                ", which this stasis does not know how to check");
    }
  }
  return Status::OK();
}

struct ThreadCoreParse {
  bool has_creds = false;
  CredsParse creds;
};

Status ParseThreadCore(std::string_view bytes, ThreadCoreParse* p) {
  WireReader r(bytes);
  while (!r.AtEnd()) {
    Field f;
    RETURN_IF_ERROR(r.ReadField(&f));
    if (f.number != kThreadCoreCreds) continue;
    if (f.wire_type != kLengthDelimited) {
      return Status::Corruption("its thread core's creds are not an embedded message");
    }
    p->has_creds = true;
    RETURN_IF_ERROR(ParseCreds(f.payload, &p->creds));
  }
  return Status::OK();
}

struct CoreParse {
  bool has_thread_core = false;
  ThreadCoreParse thread_core;
};

Status ParseCore(std::string_view bytes, CoreParse* p) {
  WireReader r(bytes);
  while (!r.AtEnd()) {
    Field f;
    RETURN_IF_ERROR(r.ReadField(&f));
    if (f.number != kCoreThreadCore) continue;
    if (f.wire_type != kLengthDelimited) {
      return Status::Corruption("its thread core is not an embedded message");
    }
    p->has_thread_core = true;
    RETURN_IF_ERROR(ParseThreadCore(f.payload, &p->thread_core));
  }
  return Status::OK();
}

uint32_t LoadLe32(std::string_view b, size_t at) {
  return static_cast<uint32_t>(static_cast<uint8_t>(b[at])) |
         static_cast<uint32_t>(static_cast<uint8_t>(b[at + 1])) << 8 |
         static_cast<uint32_t>(static_cast<uint8_t>(b[at + 2])) << 16 |
         static_cast<uint32_t>(static_cast<uint8_t>(b[at + 3])) << 24;
}

std::string Hex32(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "0x%08x", v);
  return buf;
}

uint64_t CapMask(const std::vector<uint32_t>& words) {
  uint64_t mask = 0;
  for (size_t i = 0; i < words.size(); ++i) mask |= uint64_t{words[i]} << (32 * i);
  return mask;
}

// <linux/capability.h>, by number.
constexpr const char* kCapNames[] = {
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
};

// The lowest capability in `mask` (not 0), by name when Linux names it.
std::string FirstCapName(uint64_t mask) {
  unsigned bit = 0;
  while ((mask & (uint64_t{1} << bit)) == 0) ++bit;
  if (bit < std::size(kCapNames)) return kCapNames[bit];
  return "capability " + std::to_string(bit);
}

// "gid 1001" or "gid 1001 and groups 27, 100".
std::string DescribeGids(uint32_t gid, const std::vector<uint32_t>& groups) {
  std::string s = "gid " + std::to_string(gid);
  for (size_t i = 0; i < groups.size(); ++i) {
    s += i == 0 ? (groups.size() == 1 ? " and group " : " and groups ") : ", ";
    s += std::to_string(groups[i]);
  }
  return s;
}

// Reads a core image without following a symlink or blocking on a FIFO:
// the daemon reads it as root, from a directory a user filled.
Result<std::string> ReadCoreFile(const fs::path& path, const std::string& name) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK));
  if (!fd.valid()) {
    const int err = errno;
    if (err == ELOOP) {
      return Status::Corruption(name + " is a symbolic link, which CRIU never writes");
    }
    return ErrnoStatus("open " + path.string(), err);
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return ErrnoStatus("stat " + path.string(), errno);
  if (!S_ISREG(st.st_mode)) return Status::Corruption(name + " is not a regular file");
  auto too_big = [&] {
    return Status::Corruption(name + " is larger than the 64 MiB stasis accepts for a core image");
  };
  if (static_cast<uint64_t>(st.st_size) > kMaxCoreImageBytes) return too_big();
  std::string bytes;
  char buf[65536];
  for (;;) {
    const ssize_t n = ::read(fd.get(), buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus("read " + path.string(), errno);
    }
    if (n == 0) break;
    // It may have grown since fstat.
    if (bytes.size() + static_cast<size_t>(n) > kMaxCoreImageBytes) return too_big();
    bytes.append(buf, static_cast<size_t>(n));
  }
  return bytes;
}

}  // namespace

Result<TaskCreds> CredsFromCoreImage(std::string_view bytes, const std::string& image_name) {
  auto invalid = [&](const std::string& why) {
    return Status::Corruption(image_name + " is not a valid CRIU core image: " + why);
  };
  if (bytes.empty()) return invalid("it is empty");
  if (bytes.size() < 8) {
    return invalid("its " + std::to_string(bytes.size()) + " bytes are too few for CRIU's magic");
  }
  const uint32_t head = LoadLe32(bytes, 0), kind = LoadLe32(bytes, 4);
  if (head == kImgServiceMagic) return invalid("it is a CRIU service file");
  if (head != kImgCommonMagic) return invalid("it does not start with CRIU's image magic");
  if (kind != kCoreMagic)
    return invalid("it is a CRIU image of another kind (" + Hex32(kind) + ")");
  if (bytes.size() < kHeaderBytes) return invalid("it ends before its entry's length");
  // CRIU reads the length as a host u32; every platform stasis runs on is
  // little-endian.
  const uint32_t size = LoadLe32(bytes, 8);
  const std::string_view rest = bytes.substr(kHeaderBytes);
  if (size > rest.size()) {
    return invalid("its entry claims " + std::to_string(size) + " bytes but only " +
                   std::to_string(rest.size()) + " follow");
  }
  // CRIU writes exactly one entry and reads only that one.
  if (size < rest.size()) {
    return invalid("it has " + std::to_string(rest.size() - size) + " bytes after its entry");
  }
  CoreParse core;
  if (Status st = ParseCore(rest, &core); !st.ok()) return invalid(st.message());

  // Without thread_core CRIU restores no credentials at all (the task would
  // keep CRIU's, i.e. root's), and without creds in it CRIU falls back to a
  // creds-<pid>.img: neither is what CRIU 2.0 or later writes.
  if (!core.has_thread_core) {
    return Status::Corruption(image_name + " records no credentials (its core has no thread core)");
  }
  if (!core.thread_core.has_creds) {
    return Status::Corruption(image_name +
                              " records no credentials in its thread core (the separate "
                              "creds-*.img of CRIU before 2.0 is not accepted)");
  }
  CredsParse& c = core.thread_core.creds;
  for (uint64_t n = 1; n <= kIdFieldCount; ++n) {
    if ((c.ids_seen & (1u << n)) == 0) {
      return Status::Corruption(image_name + " records credentials without their " +
                                kIdFields[n - 1].name);
    }
  }
  TaskCreds creds = std::move(c.creds);
  creds.image = image_name;
  creds.cap_inh = CapMask(c.cap_inh);
  creds.cap_prm = CapMask(c.cap_prm);
  creds.cap_eff = CapMask(c.cap_eff);
  creds.cap_amb = CapMask(c.cap_amb);
  return creds;
}

Result<std::vector<TaskCreds>> ReadImageCreds(const fs::path& images_dir) {
  std::vector<std::string> names;
  std::error_code ec;
  fs::directory_iterator it(images_dir, ec);
  for (; !ec && it != fs::directory_iterator(); it.increment(ec)) {
    std::string name = it->path().filename().string();
    // CRIU names them core-<tid>.img; reading any core-*.img only adds checks.
    if (name.size() > 9 && name.starts_with("core-") && name.ends_with(".img")) {
      names.push_back(std::move(name));
    }
  }
  if (ec) return ErrnoStatus("read images directory " + images_dir.string(), ec.value());
  if (names.empty()) {
    return Status::Corruption("images directory " + images_dir.string() +
                              " holds no core-*.img, so it records no task");
  }
  std::sort(names.begin(), names.end());

  std::vector<TaskCreds> tasks;
  tasks.reserve(names.size());
  for (const std::string& name : names) {
    ASSIGN_OR_RETURN(std::string bytes, ReadCoreFile(images_dir / name, name));
    ASSIGN_OR_RETURN(TaskCreds creds, CredsFromCoreImage(bytes, name));
    tasks.push_back(std::move(creds));
  }
  return tasks;
}

Status CheckImagesRunAs(const std::vector<TaskCreds>& tasks, uint32_t uid, uint32_t gid,
                        const std::vector<uint32_t>& groups) {
  if (tasks.empty()) {
    return Status::Corruption("its images record no task whose credentials could be checked");
  }
  auto gid_allowed = [&](uint32_t g) {
    return g == gid || std::find(groups.begin(), groups.end(), g) != groups.end();
  };
  for (const TaskCreds& t : tasks) {
    const std::string task = " for a task (" + t.image + ")";
    const std::pair<const char*, uint32_t> uids[] = {
        {"uid", t.uid}, {"euid", t.euid}, {"suid", t.suid}, {"fsuid", t.fsuid}};
    for (const auto& [name, value] : uids) {
      if (value != uid) {
        return Status::PermissionDenied("its images claim " + std::string(name) + " " +
                                        std::to_string(value) + task +
                                        ", but the restore is for uid " + std::to_string(uid));
      }
    }
    const std::pair<const char*, uint32_t> gids[] = {
        {"gid", t.gid}, {"egid", t.egid}, {"sgid", t.sgid}, {"fsgid", t.fsgid}};
    for (const auto& [name, value] : gids) {
      if (!gid_allowed(value)) {
        return Status::PermissionDenied("its images claim " + std::string(name) + " " +
                                        std::to_string(value) + task + ", but the restore is for " +
                                        DescribeGids(gid, groups));
      }
    }
    for (uint32_t g : t.groups) {
      if (!gid_allowed(g)) {
        return Status::PermissionDenied("its images claim supplementary group " +
                                        std::to_string(g) + task + ", but the restore is for " +
                                        DescribeGids(gid, groups));
      }
    }
    const std::pair<const char*, uint64_t> caps[] = {{"permitted", t.cap_prm},
                                                     {"effective", t.cap_eff},
                                                     {"inheritable", t.cap_inh},
                                                     {"ambient", t.cap_amb}};
    for (const auto& [set, mask] : caps) {
      if (mask != 0) {
        return Status::PermissionDenied("its images claim " + FirstCapName(mask) + " in the " +
                                        set + " capabilities" + task + ", but a restore for uid " +
                                        std::to_string(uid) + " may hold no capabilities");
      }
    }
  }
  return Status::OK();
}

}  // namespace stasis::criu
