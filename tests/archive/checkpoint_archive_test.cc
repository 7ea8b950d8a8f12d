#include "archive/checkpoint_archive.h"

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "memory_storage.h"

namespace stasis::archive {
namespace {

namespace fs = std::filesystem;

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class CheckpointArchiveTest : public ::testing::TestWithParam<Compression> {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/stasis-archive-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    root_ = tmpl;
    images_ = root_ / "images";
    fs::create_directories(images_);
    std::mt19937_64 rng(7);
    std::string random(3 << 20, '\0');
    for (auto& c : random) c = static_cast<char>(rng());
    std::ofstream(images_ / "pages-1.img", std::ios::binary) << random;
    std::ofstream(images_ / "inventory.img") << "inventory";
    std::ofstream(images_ / "empty.img");
    std::ofstream(images_ / "core-1.img") << std::string(100000, 'z');
  }
  void TearDown() override { fs::remove_all(root_); }

  Manifest Header() {
    Manifest h;
    h.job_id = "job-1";
    h.created_unix = 1795521600;
    h.created = "2026-11-24T12:00:00Z";
    h.compression = std::string(CompressionName(GetParam()));
    return h;
  }

  std::string Write() {
    std::string bytes;
    StringWriter w(&bytes);
    auto m = WriteCheckpointArchive(images_, Header(), GetParam(), w);
    EXPECT_TRUE(m.ok()) << m.status().ToString();
    return bytes;
  }

  // Extracts into a fresh directory.
  Result<Manifest> Extract(const std::string& bytes) {
    fs::path dest = root_ / ("out-" + std::to_string(n_++));
    fs::create_directories(dest);
    last_dest_ = dest;
    StringReader r(bytes);
    return ExtractCheckpointArchive(r, dest);
  }

  fs::path root_, images_, last_dest_;
  int n_ = 0;
};

TEST_P(CheckpointArchiveTest, RoundTripIsByteIdentical) {
  std::string bytes = Write();
  auto m = Extract(bytes);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->job_id, "job-1");
  ASSERT_EQ(m->files.size(), 4u);
  EXPECT_EQ(m->total_bytes, (3u << 20) + 9 + 100000);
  for (const auto& f : m->files)
    EXPECT_EQ(ReadFile(last_dest_ / f.name), ReadFile(images_ / f.name)) << f.name;
}

TEST_P(CheckpointArchiveTest, EveryFlippedByteIsCaught) {
  std::string bytes = Write();
  std::mt19937_64 rng(11);
  for (int i = 0; i < 24; ++i) {
    std::string bad = bytes;
    size_t pos = rng() % bad.size();
    bad[pos] = static_cast<char>(bad[pos] ^ 0x5a);
    auto m = Extract(bad);
    // A flip in tar padding or unused header bytes changes nothing that
    // matters; everything else must be refused.
    if (m.ok()) {
      for (const auto& f : m->files)
        ASSERT_EQ(ReadFile(last_dest_ / f.name), ReadFile(images_ / f.name))
            << "flip at " << pos << " went unnoticed in " << f.name;
    } else {
      EXPECT_EQ(m.status().code(), StatusCode::kCorruption) << m.status().ToString();
    }
  }
}

TEST_P(CheckpointArchiveTest, TruncationIsCorruption) {
  std::string bytes = Write();
  for (double frac : {0.0, 0.01, 0.3, 0.7, 0.99}) {
    std::string cut = bytes.substr(0, static_cast<size_t>(bytes.size() * frac));
    auto m = Extract(cut);
    ASSERT_FALSE(m.ok()) << "truncated at " << frac;
    EXPECT_EQ(m.status().code(), StatusCode::kCorruption) << m.status().ToString();
  }
}

TEST_P(CheckpointArchiveTest, HeaderReadsOnlyTheHead) {
  std::string bytes = Write();
  StringReader r(bytes);
  auto h = ReadCheckpointHeader(r);
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  EXPECT_EQ(h->job_id, "job-1");
  EXPECT_TRUE(h->files.empty());
  if (GetParam() == Compression::kNone) {
    EXPECT_LT(r.consumed(), bytes.size());
  }
}

TEST_P(CheckpointArchiveTest, StorageErrorsSurface) {
  std::string bytes;
  StringWriter w(&bytes);
  w.FailAfter(1 << 20);
  auto m = WriteCheckpointArchive(images_, Header(), Compression::kNone, w);
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), StatusCode::kResourceExhausted);
}

INSTANTIATE_TEST_SUITE_P(AllModes, CheckpointArchiveTest,
                         ::testing::Values(Compression::kNone, Compression::kGzip,
                                           Compression::kLz4, Compression::kZstd));

// Builds a tar with arbitrary members, as an attacker would.
struct Member {
  Member(std::string n, std::string d, unsigned t = AE_IFREG, std::string l = "")
      : name(std::move(n)), data(std::move(d)), type(t), link(std::move(l)) {}
  std::string name;
  std::string data;
  unsigned type;
  std::string link;
};

std::string MakeTar(const std::vector<Member>& members) {
  std::string out;
  struct archive* a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  archive_write_open(
      a, &out, nullptr,
      [](struct archive*, void* ctx, const void* buf, size_t n) -> la_ssize_t {
        static_cast<std::string*>(ctx)->append(static_cast<const char*>(buf), n);
        return static_cast<la_ssize_t>(n);
      },
      nullptr);
  for (const Member& m : members) {
    struct archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, m.name.c_str());
    archive_entry_set_filetype(e, m.type);
    archive_entry_set_perm(e, 0644);
    if (!m.link.empty()) archive_entry_set_symlink(e, m.link.c_str());
    archive_entry_set_size(e, m.type == AE_IFREG ? static_cast<la_int64_t>(m.data.size()) : 0);
    archive_write_header(a, e);
    if (m.type == AE_IFREG) archive_write_data(a, m.data.data(), m.data.size());
    archive_entry_free(e);
  }
  archive_write_close(a);
  archive_write_free(a);
  return out;
}

class HostileArchiveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/stasis-hostile-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    root_ = tmpl;
    fs::create_directories(root_ / "a" / "dest");
    Manifest h;
    h.job_id = "x";
    header_ = ManifestToJson(h);
  }
  void TearDown() override { fs::remove_all(root_); }

  Status Extract(const std::string& tar) {
    StringReader r(tar);
    return ExtractCheckpointArchive(r, root_ / "a" / "dest").status();
  }

  fs::path root_;
  std::string header_;
};

TEST_F(HostileArchiveTest, DotDotMemberIsRefusedAndNothingEscapes) {
  Status st = Extract(MakeTar({{kHeaderMemberName, header_}, {"../evil", "pwned"}}));
  EXPECT_EQ(st.code(), StatusCode::kCorruption);
  EXPECT_NE(st.message().find("unsafe"), std::string::npos) << st.message();
  EXPECT_FALSE(fs::exists(root_ / "a" / "evil"));
}

TEST_F(HostileArchiveTest, AbsoluteMemberIsRefused) {
  Status st = Extract(MakeTar({{kHeaderMemberName, header_}, {"/tmp/stasis-evil", "x"}}));
  EXPECT_EQ(st.code(), StatusCode::kCorruption);
  EXPECT_FALSE(fs::exists("/tmp/stasis-evil"));
}

TEST_F(HostileArchiveTest, SymlinkAndDirectoryMembersAreRefused) {
  Status st = Extract(MakeTar({{kHeaderMemberName, header_}, {"link", "", AE_IFLNK, "/etc"}}));
  EXPECT_EQ(st.code(), StatusCode::kCorruption);
  EXPECT_NE(st.message().find("not a regular file"), std::string::npos) << st.message();
  EXPECT_FALSE(fs::exists(root_ / "a" / "dest" / "link"));
  st = Extract(MakeTar({{kHeaderMemberName, header_}, {"dir", "", AE_IFDIR}}));
  EXPECT_EQ(st.code(), StatusCode::kCorruption);
}

TEST_F(HostileArchiveTest, ForeignTarIsNotAStasisCheckpoint) {
  Status st = Extract(MakeTar({{"README", "hello"}}));
  EXPECT_EQ(st.code(), StatusCode::kCorruption);
  EXPECT_NE(st.message().find("not a stasis checkpoint"), std::string::npos) << st.message();
  st = Extract("this is not an archive at all, just text");
  EXPECT_FALSE(st.ok());
}

TEST_F(HostileArchiveTest, UnlistedOrMissingMembersAreRefused) {
  Manifest full;
  full.job_id = "x";
  std::string full_json = ManifestToJson(full);
  Status st = Extract(MakeTar(
      {{kHeaderMemberName, header_}, {"extra.img", "x"}, {kManifestMemberName, full_json}}));
  EXPECT_EQ(st.code(), StatusCode::kCorruption);
  full.files = {{"gone.img", 1, std::string(64, 'a')}};
  full.total_bytes = 1;
  st =
      Extract(MakeTar({{kHeaderMemberName, header_}, {kManifestMemberName, ManifestToJson(full)}}));
  EXPECT_EQ(st.code(), StatusCode::kCorruption);
  EXPECT_NE(st.message().find("missing gone.img"), std::string::npos) << st.message();
}

}  // namespace
}  // namespace stasis::archive
