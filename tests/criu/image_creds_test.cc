// The credentials reader on hand-built core images (valid, hostile and
// broken ones), then on the images of a real CRIU dump of a task running as
// uid 4242.
#include "criu/image_creds.h"

#include <fcntl.h>
#include <grp.h>
#include <gtest/gtest.h>
#include <linux/capability.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "../common/session_process.h"
#include "criu/cli_engine.h"
#include "criu/engine.h"

namespace stasis::criu {
namespace {

namespace fs = std::filesystem;

// ---- A tiny protobuf encoder, to build core images by hand ----

std::string Varint(uint64_t v) {
  std::string s;
  for (; v >= 0x80; v >>= 7) s += static_cast<char>((v & 0x7f) | 0x80);
  s += static_cast<char>(v);
  return s;
}
std::string Tag(uint64_t field, int wire_type) {
  return Varint(field << 3 | wire_type);
}
std::string U(uint64_t field, uint64_t v) {
  return Tag(field, 0) + Varint(v);
}
std::string Len(uint64_t field, const std::string& payload) {
  return Tag(field, 2) + Varint(payload.size()) + payload;
}
std::string Le32(uint32_t v) {
  std::string s(4, '\0');
  for (int i = 0; i < 4; ++i) s[i] = static_cast<char>(v >> (8 * i));
  return s;
}
std::string Fixed32(uint64_t field, uint32_t v) {
  return Tag(field, 5) + Le32(v);
}
std::string Fixed64(uint64_t field, uint64_t v) {
  return Tag(field, 1) + Le32(static_cast<uint32_t>(v)) + Le32(static_cast<uint32_t>(v >> 32));
}

constexpr uint32_t kCommonMagic = 0x54564319;  // IMG_COMMON_MAGIC
constexpr uint32_t kCoreMagic = 0x55053847;    // CORE_MAGIC
constexpr uint32_t kPstreeMagic = 0x50273030;  // PSTREE_MAGIC
constexpr uint32_t kServiceMagic = 0x55105940;

struct Creds {
  uint32_t uid = 1001, gid = 1001, euid = 1001, egid = 1001;
  uint32_t suid = 1001, sgid = 1001, fsuid = 1001, fsgid = 1001;
  std::vector<uint32_t> inh{0, 0}, prm{0, 0}, eff{0, 0}, amb{0, 0};
  std::vector<uint32_t> groups{1001, 27};
};

// A creds_entry laid out as CRIU 4.2 writes it (unpacked repeated fields).
std::string CredsEntry(const Creds& c) {
  std::string s = U(1, c.uid) + U(2, c.gid) + U(3, c.euid) + U(4, c.egid) + U(5, c.suid) +
                  U(6, c.sgid) + U(7, c.fsuid) + U(8, c.fsgid);
  for (uint32_t w : c.inh) s += U(9, w);
  for (uint32_t w : c.prm) s += U(10, w);
  for (uint32_t w : c.eff) s += U(11, w);
  s += U(12, 0xffffffff) + U(12, 0x1ff);  // full bounding set: not a privilege
  s += U(13, 0);                          // secbits
  for (uint32_t g : c.groups) s += U(14, g);
  s += U(18, 0);  // no_new_privs
  for (uint32_t w : c.amb) s += U(19, w);
  return s;
}

std::string ThreadCore(const std::string& creds_entry) {
  return U(1, 0x7f1234567000) + U(2, 24) + U(3, 0) + U(4, 0) + U(5, 0) +
         Len(7, U(1, 0) + U(2, 0) + U(3, 2)) + Len(10, creds_entry) + U(11, 0) + Len(13, "worker");
}

// thread_core last, so that every strict prefix of the entry lacks creds.
std::string CoreEntry(const std::string& thread_core) {
  return U(1, 1) + Len(2, std::string(64, '\x01')) + Len(3, U(1, 1) + Len(6, "sleep")) +
         Len(4, U(1, 1) + U(2, 2)) + Len(5, thread_core);
}

std::string CoreImage(const std::string& entry) {
  return Le32(kCommonMagic) + Le32(kCoreMagic) + Le32(static_cast<uint32_t>(entry.size())) + entry;
}

std::string ValidImage(const Creds& c = Creds()) {
  return CoreImage(CoreEntry(ThreadCore(CredsEntry(c))));
}

Result<TaskCreds> Parse(const std::string& bytes) {
  return CredsFromCoreImage(bytes, "core-1.img");
}

StatusCode CodeOf(const std::string& bytes) {
  return Parse(bytes).status().code();
}

// ---- Parsing ----

TEST(CredsFromCoreImage, ParsesAValidImage) {
  auto t = Parse(ValidImage());
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->image, "core-1.img");
  EXPECT_EQ(t->uid, 1001u);
  EXPECT_EQ(t->euid, 1001u);
  EXPECT_EQ(t->suid, 1001u);
  EXPECT_EQ(t->fsuid, 1001u);
  EXPECT_EQ(t->gid, 1001u);
  EXPECT_EQ(t->fsgid, 1001u);
  EXPECT_EQ(t->groups, (std::vector<uint32_t>{1001, 27}));
  EXPECT_EQ(t->cap_prm | t->cap_eff | t->cap_inh | t->cap_amb, 0u);
  EXPECT_TRUE(CheckImagesRunAs({*t}, 1001, 1001, {27}).ok());
}

TEST(CredsFromCoreImage, ReadsEachIdAndCapabilitySetFromItsOwnField) {
  Creds c;
  c.uid = 1, c.gid = 2, c.euid = 3, c.egid = 4, c.suid = 5, c.sgid = 6, c.fsuid = 7, c.fsgid = 8;
  c.inh = {1, 0}, c.prm = {0, 1}, c.eff = {1 << 21, 0}, c.amb = {0, 1 << 8};
  auto t = Parse(ValidImage(c));
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->uid, 1u);
  EXPECT_EQ(t->gid, 2u);
  EXPECT_EQ(t->euid, 3u);
  EXPECT_EQ(t->egid, 4u);
  EXPECT_EQ(t->suid, 5u);
  EXPECT_EQ(t->sgid, 6u);
  EXPECT_EQ(t->fsuid, 7u);
  EXPECT_EQ(t->fsgid, 8u);
  EXPECT_EQ(t->cap_inh, 1u);
  EXPECT_EQ(t->cap_prm, uint64_t{1} << 32);
  EXPECT_EQ(t->cap_eff, uint64_t{1} << 21);
  EXPECT_EQ(t->cap_amb, uint64_t{1} << 40);
}

TEST(CredsFromCoreImage, SkipsUnknownFieldsOfEveryWireType) {
  const std::string unknown = U(100, 7) + Fixed64(101, 0x1122334455667788) + Len(102, "opaque") +
                              Fixed32(103, 9) + U(536870911, 1);
  // creds_entry: only its known, ignored fields (cap_bnd, secbits, LSM).
  std::string creds =
      CredsEntry(Creds()) + Len(15, "unconfined") + Len(17, "\x00\x01") + U(13, 1) + U(12, 0);
  auto t = Parse(CoreImage(unknown + CoreEntry(unknown + ThreadCore(creds) + unknown)));
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->uid, 1001u);
}

TEST(CredsFromCoreImage, ReadsPackedRepeatedFields) {
  Creds c;
  c.eff = {};
  c.groups = {};
  std::string creds =
      CredsEntry(c) + Len(11, Varint(0) + Varint(1)) + Len(14, Varint(5) + Varint(6));
  auto t = Parse(CoreImage(CoreEntry(ThreadCore(creds))));
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->cap_eff, uint64_t{1} << 32);
  EXPECT_EQ(t->groups, (std::vector<uint32_t>{5, 6}));
}

// protobuf-c, which CRIU reads images with, merges a repeated message field:
// later scalars win and repeated fields append. The reader must see what
// CRIU would restore, not the first, harmless-looking copy.
TEST(CredsFromCoreImage, MergesRepeatedMessagesAsProtobufDoes) {
  // A second, complete creds (protobuf-c checks each copy's required
  // fields) without capability words, which would append to the first's.
  Creds root;
  root.uid = 0;
  root.groups = {0};
  root.inh = root.prm = root.eff = root.amb = {};
  std::string thread_core = ThreadCore(CredsEntry(Creds())) + Len(10, CredsEntry(root));
  auto t = Parse(CoreImage(CoreEntry(thread_core)));
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->uid, 0u);
  EXPECT_EQ(t->euid, 1001u);
  EXPECT_EQ(t->groups, (std::vector<uint32_t>{1001, 27, 0}));

  // A second thread_core with only the uid, after a good one.
  std::string entry = CoreEntry(ThreadCore(CredsEntry(Creds()))) + Len(5, Len(10, U(1, 0)));
  t = Parse(CoreImage(entry));
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->uid, 0u);

  // Capability words of both copies append: more than CRIU writes.
  t = Parse(CoreImage(CoreEntry(ThreadCore(CredsEntry(Creds())) + Len(10, CredsEntry(Creds())))));
  EXPECT_EQ(t.status().code(), StatusCode::kCorruption);

  // A later scalar in the same message wins too.
  t = Parse(CoreImage(CoreEntry(ThreadCore(CredsEntry(Creds()) + U(3, 0)))));
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->euid, 0u);
}

// ---- Checking ----

TaskCreds Task(const Creds& c = Creds()) {
  auto t = Parse(ValidImage(c));
  EXPECT_TRUE(t.ok()) << t.status().ToString();
  return t.ok() ? *t : TaskCreds();
}

TEST(CheckImagesRunAs, RefusesUidZeroWithOneSentence) {
  Creds c;
  c.uid = 0;
  Status st = CheckImagesRunAs({Task(c)}, 1001, 1001, {});
  EXPECT_EQ(st.code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(st.message(),
            "its images claim uid 0 for a task (core-1.img), but the restore is for uid 1001");
}

TEST(CheckImagesRunAs, RefusesAnyOfTheFourUids) {
  for (uint32_t Creds::*uid : {&Creds::uid, &Creds::euid, &Creds::suid, &Creds::fsuid}) {
    Creds c;
    c.*uid = 0;
    Status st = CheckImagesRunAs({Task(c)}, 1001, 1001, {27});
    EXPECT_EQ(st.code(), StatusCode::kPermissionDenied) << st.ToString();
  }
  EXPECT_EQ(CheckImagesRunAs({Task()}, 1002, 1001, {27}).code(), StatusCode::kPermissionDenied);
}

TEST(CheckImagesRunAs, RefusesGidsOutsideTheUsersGroups) {
  for (uint32_t Creds::*gid : {&Creds::gid, &Creds::egid, &Creds::sgid, &Creds::fsgid}) {
    Creds c;
    c.*gid = 0;
    Status st = CheckImagesRunAs({Task(c)}, 1001, 1001, {27});
    EXPECT_EQ(st.code(), StatusCode::kPermissionDenied) << st.ToString();
  }
  // A gid that is one of the user's supplementary groups is fine.
  Creds c;
  c.egid = 27;
  EXPECT_TRUE(CheckImagesRunAs({Task(c)}, 1001, 1001, {27}).ok());
}

TEST(CheckImagesRunAs, RefusesAForeignSupplementaryGroup) {
  Creds c;
  c.groups = {1001, 27, 0};
  Status st = CheckImagesRunAs({Task(c)}, 1001, 1001, {27, 100});
  EXPECT_EQ(st.code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(st.message(),
            "its images claim supplementary group 0 for a task (core-1.img), but the restore is "
            "for gid 1001 and groups 27, 100");
  // The same task without 27 among the user's groups.
  EXPECT_EQ(CheckImagesRunAs({Task()}, 1001, 1001, {}).code(), StatusCode::kPermissionDenied);
}

TEST(CheckImagesRunAs, RefusesAnyCapabilityInAnySet) {
  for (auto set : {&Creds::prm, &Creds::eff, &Creds::inh, &Creds::amb}) {
    const std::vector<std::vector<uint32_t>> low_and_high_word = {{1u << 21, 0}, {0, 1}};
    for (const std::vector<uint32_t>& words : low_and_high_word) {
      Creds c;
      c.*set = words;
      Status st = CheckImagesRunAs({Task(c)}, 1001, 1001, {27});
      EXPECT_EQ(st.code(), StatusCode::kPermissionDenied) << st.ToString();
    }
  }
  Creds c;
  c.eff = {1u << 21, 0};
  EXPECT_EQ(CheckImagesRunAs({Task(c)}, 1001, 1001, {27}).message(),
            "its images claim CAP_SYS_ADMIN in the effective capabilities for a task "
            "(core-1.img), but a restore for uid 1001 may hold no capabilities");
}

TEST(CheckImagesRunAs, ChecksEveryTaskAndRefusesNone) {
  Creds root;
  root.uid = 0;
  TaskCreds thread = Task(root);
  thread.image = "core-43.img";
  Status st = CheckImagesRunAs({Task(), thread}, 1001, 1001, {27});
  EXPECT_EQ(st.code(), StatusCode::kPermissionDenied);
  EXPECT_NE(st.message().find("core-43.img"), std::string::npos) << st.message();
  EXPECT_FALSE(CheckImagesRunAs({}, 1001, 1001, {}).ok());
}

// ---- Broken and hostile bytes: Corruption, never a crash ----

TEST(CredsFromCoreImage, RefusesBrokenHeaders) {
  std::string good = ValidImage();
  EXPECT_EQ(CodeOf(""), StatusCode::kCorruption);
  EXPECT_EQ(CodeOf("\x19\x43"), StatusCode::kCorruption);
  EXPECT_EQ(CodeOf(Le32(0xdeadbeef) + good.substr(4)), StatusCode::kCorruption);
  EXPECT_EQ(CodeOf(Le32(kServiceMagic) + good.substr(4)), StatusCode::kCorruption);
  EXPECT_EQ(CodeOf(good.substr(4)), StatusCode::kCorruption) << "pre-1.1 layout";
  std::string pstree = Le32(kCommonMagic) + Le32(kPstreeMagic) + good.substr(8);
  auto st = Parse(pstree).status();
  EXPECT_EQ(st.code(), StatusCode::kCorruption);
  EXPECT_NE(st.message().find("0x50273030"), std::string::npos) << st.message();
  EXPECT_EQ(CodeOf(good.substr(0, 10)), StatusCode::kCorruption);
}

TEST(CredsFromCoreImage, RefusesLengthsPastTheEnd) {
  std::string entry = CoreEntry(ThreadCore(CredsEntry(Creds())));
  std::string head = Le32(kCommonMagic) + Le32(kCoreMagic);
  auto st = Parse(head + Le32(0xffffffff) + entry).status();
  EXPECT_EQ(st.code(), StatusCode::kCorruption);
  EXPECT_EQ(st.message(),
            "core-1.img is not a valid CRIU core image: its entry claims 4294967295 "
            "bytes but only " +
                std::to_string(entry.size()) + " follow");
  EXPECT_EQ(CodeOf(head + Le32(entry.size() + 1) + entry), StatusCode::kCorruption);
  // An inner length past its message's end, including one near 2^64.
  EXPECT_EQ(CodeOf(CoreImage(U(1, 1) + Tag(5, 2) + Varint(1000) + "abc")), StatusCode::kCorruption);
  EXPECT_EQ(CodeOf(CoreImage(U(1, 1) + Tag(5, 2) + Varint(UINT64_MAX) + "abc")),
            StatusCode::kCorruption);
  EXPECT_EQ(CodeOf(CoreImage(Len(5, Tag(10, 2) + Varint(UINT64_MAX - 2)))),
            StatusCode::kCorruption);
}

TEST(CredsFromCoreImage, EveryTruncationIsCorruption) {
  const std::string good = ValidImage();
  for (size_t n = 0; n < good.size(); ++n) {
    EXPECT_EQ(CodeOf(good.substr(0, n)), StatusCode::kCorruption) << "cut at " << n;
  }
  // Truncated inside the protobuf, with a length that agrees.
  const std::string entry = CoreEntry(ThreadCore(CredsEntry(Creds())));
  for (size_t n = 0; n < entry.size(); ++n) {
    EXPECT_EQ(CodeOf(CoreImage(entry.substr(0, n))), StatusCode::kCorruption) << "cut at " << n;
  }
}

TEST(CredsFromCoreImage, RefusesMissingOrIncompleteCreds) {
  EXPECT_EQ(CodeOf(CoreImage(U(1, 1))), StatusCode::kCorruption) << "no thread_core";
  EXPECT_EQ(CodeOf(CoreImage(CoreEntry(U(1, 0) + U(2, 0)))), StatusCode::kCorruption)
      << "no creds: CRIU would look for a creds-*.img";
  std::string no_euid =
      U(1, 1001) + U(2, 1001) + U(4, 1001) + U(5, 1001) + U(6, 1001) + U(7, 1001) + U(8, 1001);
  auto st = Parse(CoreImage(CoreEntry(ThreadCore(no_euid)))).status();
  EXPECT_EQ(st.code(), StatusCode::kCorruption);
  EXPECT_EQ(st.message(), "core-1.img records credentials without their euid");
  EXPECT_EQ(CodeOf(CoreImage(CoreEntry(ThreadCore("")))), StatusCode::kCorruption);
}

TEST(CredsFromCoreImage, RefusesWhatCriuWouldReadDifferently) {
  auto with_creds_tail = [](const std::string& tail) {
    return CoreImage(CoreEntry(ThreadCore(CredsEntry(Creds()) + tail)));
  };
  // uid 2^32 would be uid 0 to protobuf-c, which keeps the low 32 bits.
  EXPECT_EQ(CodeOf(with_creds_tail(U(1, uint64_t{1} << 32))), StatusCode::kCorruption);
  // Field number 2^32 + 1 would be field 1 (uid) to protobuf-c.
  EXPECT_EQ(CodeOf(with_creds_tail(Varint(((uint64_t{1} << 32) + 1) << 3) + Varint(0))),
            StatusCode::kCorruption);
  // Field 2^32 + 10 of a thread core: a second creds (uid 0) to protobuf-c,
  // an unknown field to a reader that would skip it.
  Creds root;
  root.uid = 0;
  root.inh = root.prm = root.eff = root.amb = {};
  const std::string aliased_creds = Varint((((uint64_t{1} << 32) + 10) << 3) | 2) +
                                    Varint(CredsEntry(root).size()) + CredsEntry(root);
  EXPECT_EQ(CodeOf(CoreImage(CoreEntry(ThreadCore(CredsEntry(Creds())) + aliased_creds))),
            StatusCode::kCorruption);
  EXPECT_EQ(CodeOf(with_creds_tail(Varint(0) + Varint(0))), StatusCode::kCorruption) << "field 0";
  // A uid that is not a varint, creds or thread_core that are not messages.
  EXPECT_EQ(CodeOf(with_creds_tail(Fixed32(1, 0))), StatusCode::kCorruption);
  EXPECT_EQ(CodeOf(CoreImage(CoreEntry(U(10, 0)))), StatusCode::kCorruption);
  EXPECT_EQ(CodeOf(CoreImage(U(1, 1) + U(5, 0))), StatusCode::kCorruption);
  // Groups (wire types 3, 4), which protobuf-c refuses, and invalid ones.
  EXPECT_EQ(CodeOf(with_creds_tail(Tag(30, 3) + Tag(30, 4))), StatusCode::kCorruption);
  EXPECT_EQ(CodeOf(CoreImage(Tag(30, 3) + Tag(30, 4) + CoreEntry(ThreadCore(CredsEntry(Creds()))))),
            StatusCode::kCorruption);
  EXPECT_EQ(CodeOf(with_creds_tail(Tag(30, 6))), StatusCode::kCorruption);
  EXPECT_EQ(CodeOf(with_creds_tail(Tag(30, 7))), StatusCode::kCorruption);
  // An unknown creds field could be a privilege a newer CRIU restores.
  EXPECT_EQ(CodeOf(with_creds_tail(U(20, 1))), StatusCode::kCorruption);
  // More capability words than CRIU writes; more groups than Linux allows.
  EXPECT_EQ(CodeOf(with_creds_tail(U(10, 0))), StatusCode::kCorruption);
  std::string many_groups;
  for (int i = 0; i < 65536; ++i) many_groups += Varint(1001);
  EXPECT_EQ(CodeOf(with_creds_tail(Len(14, many_groups))), StatusCode::kCorruption);
  // Varints of 11 bytes, or 10 bytes over 64 bits.
  EXPECT_EQ(CodeOf(with_creds_tail(Tag(1, 0) + std::string(10, '\xff') + '\x01')),
            StatusCode::kCorruption);
  EXPECT_EQ(CodeOf(with_creds_tail(Tag(1, 0) + std::string(9, '\xff') + '\x02')),
            StatusCode::kCorruption);
  // Fixed-width values cut short.
  EXPECT_EQ(CodeOf(CoreImage(CoreEntry(ThreadCore(CredsEntry(Creds()))) + Tag(9, 1) + "1234")),
            StatusCode::kCorruption);
  EXPECT_EQ(CodeOf(CoreImage(CoreEntry(ThreadCore(CredsEntry(Creds()))) + Tag(9, 5) + "12")),
            StatusCode::kCorruption);
  // Bytes after the one entry CRIU reads.
  EXPECT_EQ(CodeOf(ValidImage() + Le32(0)), StatusCode::kCorruption);
}

// Whatever the bytes, the answer is a TaskCreds or a Corruption (and, in the
// sanitizer build, no read outside them).
TEST(CredsFromCoreImage, GarbageIsCorruptionNeverACrash) {
  std::mt19937 rng(4242);
  const std::string good = ValidImage();
  auto check = [](const std::string& bytes) {
    auto t = Parse(bytes);
    if (!t.ok()) {
      EXPECT_EQ(t.status().code(), StatusCode::kCorruption) << t.status().ToString();
    }
  };
  for (int i = 0; i < 2000; ++i) {
    std::string junk(rng() % 200, '\0');
    for (char& ch : junk) ch = static_cast<char>(rng());
    check(junk);
    check(CoreImage(junk));
    check(CoreImage(CoreEntry(junk)));
    check(CoreImage(CoreEntry(ThreadCore(junk))));
    std::string flipped = good;
    flipped[rng() % flipped.size()] ^= static_cast<char>(1 << (rng() % 8));
    flipped[rng() % flipped.size()] = static_cast<char>(rng());
    check(flipped);
  }
}

// ---- A directory of images ----

class ImageDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/stasis-creds-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    for (int p : kill_) {
      ::kill(-p, SIGKILL);
      ::waitpid(p, nullptr, 0);
    }
    if (!dir_.empty() && !HasFailure()) fs::remove_all(dir_);
  }
  void Write(const std::string& name, const std::string& bytes) {
    std::ofstream(dir_ / name, std::ios::binary) << bytes;
  }
  fs::path dir_;
  std::vector<int> kill_;
};

TEST_F(ImageDirTest, ReadsEveryThreadsCoreImage) {
  Creds root;
  root.uid = 0;
  Write("core-41.img", ValidImage());
  Write("core-42.img", ValidImage(root));  // a second thread, as root
  Write("pstree.img", "not a core image");
  Write("core.img.bak", "neither");
  auto tasks = ReadImageCreds(dir_);
  ASSERT_TRUE(tasks.ok()) << tasks.status().ToString();
  ASSERT_EQ(tasks->size(), 2u);
  EXPECT_EQ((*tasks)[0].image, "core-41.img");
  EXPECT_EQ((*tasks)[1].image, "core-42.img");
  Status st = CheckImagesRunAs(*tasks, 1001, 1001, {27});
  EXPECT_EQ(st.message(),
            "its images claim uid 0 for a task (core-42.img), but the restore is for uid 1001");
}

TEST_F(ImageDirTest, RefusesDirectoriesWithoutCleanCoreImages) {
  EXPECT_EQ(ReadImageCreds(dir_).status().code(), StatusCode::kCorruption) << "no core image";
  EXPECT_EQ(ReadImageCreds(dir_ / "missing").status().code(), StatusCode::kNotFound);

  Write("core-1.img", ValidImage());
  Write("core-2.img", ValidImage().substr(0, 30));
  auto st = ReadImageCreds(dir_).status();
  EXPECT_EQ(st.code(), StatusCode::kCorruption);
  EXPECT_NE(st.message().find("core-2.img"), std::string::npos) << st.message();

  fs::remove(dir_ / "core-2.img");
  fs::create_symlink(dir_ / "core-1.img", dir_ / "core-3.img");
  EXPECT_EQ(ReadImageCreds(dir_).status().code(), StatusCode::kCorruption) << "a symlink";
  fs::remove(dir_ / "core-3.img");
  fs::create_directory(dir_ / "core-4.img");
  EXPECT_EQ(ReadImageCreds(dir_).status().code(), StatusCode::kCorruption) << "a directory";
}

// ---- The images of a real CRIU dump ----

constexpr uid_t kUser = 4242;

// Forks `path` as a session leader (as CRIU needs of a tree it dumps whole)
// running as uid and gid kUser, with no supplementary group and no
// capability, its stdio on /dev/null. Only syscalls between fork and exec.
int SpawnAsUser(const std::string& path) {
  pid_t child = ::fork();
  if (child != 0) return child;
  ::setsid();
  int null = ::open("/dev/null", O_RDWR);
  for (int fd = 0; fd < 3; ++fd) ::dup2(null, fd);
  for (int fd = 3; fd < 1024; ++fd) ::close(fd);
  // Inheritable and ambient capabilities survive setresuid; clear them so
  // that the task holds none whatever the test runner had.
  __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  ::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
  if (::syscall(SYS_capget, &hdr, data) == 0) {
    data[0].inheritable = data[1].inheritable = 0;
    ::syscall(SYS_capset, &hdr, data);
  }
  if (::setgroups(0, nullptr) != 0 || ::setresgid(kUser, kUser, kUser) != 0 ||
      ::setresuid(kUser, kUser, kUser) != 0) {
    ::_exit(126);
  }
  ::execl(path.c_str(), path.c_str(), static_cast<char*>(nullptr));
  ::_exit(127);
}

// "value..." of the "Key:\tvalue..." line of /proc/PID/status, "" if absent.
std::string ProcStatus(int pid, const std::string& key) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(key + ":\t", 0) == 0) return line.substr(key.size() + 2);
  }
  return "";
}

bool HasEffectiveCapability(int cap) {
  uint64_t eff = std::stoull(ProcStatus(::getpid(), "CapEff"), nullptr, 16);
  return (eff >> cap) & 1;
}

// Becomes kUser while keeping every capability, across exec too (as ambient
// capabilities). Returns false if the kernel refused a step.
bool BecomeUserWithCapabilities() {
  if (::prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0 || ::setgroups(0, nullptr) != 0 ||
      ::setresgid(kUser, kUser, kUser) != 0 || ::setresuid(kUser, kUser, kUser) != 0) {
    return false;
  }
  __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  if (::syscall(SYS_capget, &hdr, data) != 0) return false;
  for (auto& d : data) d.effective = d.inheritable = d.permitted;
  if (::syscall(SYS_capset, &hdr, data) != 0) return false;
  for (int cap = 0; cap < 64; ++cap) {
    if ((data[cap / 32].permitted >> (cap % 32)) & 1) {
      ::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0);
    }
  }
  return true;
}

// Dumps options.pid, a task of kUser, for a root without CAP_SYS_RESOURCE
// (as in some containers): CRIU reads the task's rlimits with prlimit(),
// which the kernel allows such a root only if CRIU's real uid and gid are
// the task's; and with a real uid that is not its effective one, dash (the
// /bin/sh of CRIU's wrapper) drops privileges and libnftables exits. So a
// forked helper runs CRIU wholly as kUser with root's capabilities and
// --unprivileged, which takes the same images. `work` must be searchable by
// kUser, and options.images_dir writable by it.
Status DumpAsUser(const std::string& criu, const DumpOptions& options, const fs::path& work) {
  const fs::path wrapper = work / "criu-unprivileged";
  std::ofstream(wrapper) << "#!/bin/sh\nexec " << criu << " \"$@\" --unprivileged\n";
  fs::permissions(wrapper, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                               fs::perms::others_read | fs::perms::others_exec);
  int pipe_fds[2];
  if (::pipe(pipe_fds) != 0) return Status::Internal("pipe failed");
  pid_t helper = ::fork();
  if (helper == 0) {
    ::close(pipe_fds[0]);
    std::string message = "cannot become uid 4242 with capabilities";
    if (BecomeUserWithCapabilities()) {
      Status st = CliEngine(wrapper.string()).Dump(options);
      message = st.ok() ? "" : st.ToString();
    }
    if (!message.empty() && ::write(pipe_fds[1], message.data(), message.size()) < 0) {
      ::_exit(2);
    }
    ::_exit(message.empty() ? 0 : 1);
  }
  ::close(pipe_fds[1]);
  std::string message;
  char buf[512];
  for (ssize_t n; (n = ::read(pipe_fds[0], buf, sizeof(buf))) > 0;) message.append(buf, n);
  ::close(pipe_fds[0]);
  int status = 0;
  ::waitpid(helper, &status, 0);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return Status::OK();
  return Status::Internal("dump as uid 4242 failed: " + message);
}

TEST_F(ImageDirTest, RealDumpOfATaskRunningAsUid4242) {
  auto engine = OpenEngine("");
  if (!engine.ok()) GTEST_SKIP() << engine.status().ToString();
  if (::geteuid() != 0) GTEST_SKIP() << "needs root, to run CRIU and to switch a task's uid";

  // The threads workload: a main thread and 4 more, so 5 core images.
  int child = SpawnAsUser(STASIS_WORKLOADS_DIR "/threads");
  kill_.push_back(child);
  ASSERT_TRUE(testing::WaitFor([&] {
    return ProcStatus(child, "Threads") == "5" && ProcStatus(child, "Uid").rfind("4242\t", 0) == 0;
  })) << "the workload did not start as uid 4242 with 5 threads";

  fs::path images = dir_ / "images";
  fs::create_directories(images);
  DumpOptions d;
  d.pid = child;
  d.images_dir = images;
  Status st;
  if (HasEffectiveCapability(CAP_SYS_RESOURCE)) {
    st = (*engine)->Dump(d);  // as stasisd does
  } else {
    fs::permissions(dir_, fs::perms::others_exec, fs::perm_options::add);
    ASSERT_EQ(::chown(images.c_str(), kUser, kUser), 0);
    st = DumpAsUser((*engine)->Describe(), d, dir_);
  }
  ASSERT_TRUE(st.ok()) << st.ToString();

  auto tasks = ReadImageCreds(images);
  ASSERT_TRUE(tasks.ok()) << tasks.status().ToString();
  EXPECT_EQ(tasks->size(), 5u) << "one core image per thread";
  for (const TaskCreds& t : *tasks) {
    SCOPED_TRACE(t.image);
    for (uint32_t id : {t.uid, t.euid, t.suid, t.fsuid, t.gid, t.egid, t.sgid, t.fsgid}) {
      EXPECT_EQ(id, kUser);
    }
    EXPECT_TRUE(t.groups.empty());
    EXPECT_EQ(t.cap_prm | t.cap_eff | t.cap_inh | t.cap_amb, 0u);
  }
  EXPECT_TRUE(CheckImagesRunAs(*tasks, kUser, kUser, {}).ok());
  Status refused = CheckImagesRunAs(*tasks, 1000, 1000, {});
  EXPECT_EQ(refused.code(), StatusCode::kPermissionDenied);
  EXPECT_NE(refused.message().find("claim uid 4242"), std::string::npos) << refused.message();
  EXPECT_EQ(CheckImagesRunAs(*tasks, kUser, 1000, {}).code(), StatusCode::kPermissionDenied);
}

}  // namespace
}  // namespace stasis::criu
