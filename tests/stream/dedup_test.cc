// The pre-copy format without CRIU: a blob of known pages, then a pages
// image written against the index (some pages known, some new, a tail),
// read back byte for byte through the manifest's extents; and the
// manifest's checks on extents.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <random>

#include "storage/local/local_storage.h"
#include "stream/memory_precopy.h"
#include "stream/page_index.h"
#include "stream/sharded_reader.h"
#include "stream/sharded_writer.h"
#include "stream/stream_manifest.h"

namespace stasis::stream {
namespace {

namespace fs = std::filesystem;

std::string RandomPages(std::mt19937_64& rng, size_t pages) {
  std::string out(pages * kPageSize, '\0');
  for (size_t i = 0; i < out.size(); i += 8) {
    uint64_t v = rng();
    std::memcpy(&out[i], &v, 8);
  }
  return out;
}

std::string ReadAll(storage::Reader* r) {
  std::string out;
  char buf[3000];  // not a multiple of anything: reads cross slices
  for (;;) {
    auto n = r->Read(buf, sizeof buf);
    EXPECT_TRUE(n.ok()) << n.status().ToString();
    if (!n.ok() || *n == 0) return out;
    out.append(buf, *n);
  }
}

class DedupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/stasis-dedup-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    store_ = std::make_shared<storage::LocalStorage>();
  }
  void TearDown() override {
    if (!HasFailure()) fs::remove_all(dir_);
  }
  std::string dir_;
  std::shared_ptr<storage::Storage> store_;
};

TEST_F(DedupTest, KnownPagesAreReferencedAndTheImageReadsBackExactly) {
  std::mt19937_64 rng(7);
  const std::string known = RandomPages(rng, 300);
  const std::string fresh = RandomPages(rng, 40);
  // The image: known pages in order, new ones between, known ones out of
  // order, and a tail shorter than a page.
  std::string image = known.substr(0, 100 * kPageSize) + fresh.substr(0, 10 * kPageSize) +
                      known.substr(100 * kPageSize, 150 * kPageSize) +
                      known.substr(20 * kPageSize, 5 * kPageSize) + fresh.substr(10 * kPageSize) +
                      "tail";

  ShardedWriterOptions o;
  o.shards = 3;
  o.chunk_size = 64 * kPageSize;  // extents cross chunk edges
  // The pre-copy's writer: two blobs (the first one empty, so that blob
  // numbers are not all zero), committed first.
  ShardedWriterOptions po = o;
  po.shard_prefix = "precopy-";
  po.shards = 2;
  auto pre = ShardedWriter::Open(store_, dir_ + "/ckpt", po);
  ASSERT_TRUE(pre.ok()) << pre.status().ToString();
  PageIndex index;
  auto empty = (*pre)->CreateBlob("precopy-1");
  auto blob = (*pre)->CreateBlob("precopy-2");
  ASSERT_TRUE(empty.ok() && blob.ok());
  ASSERT_TRUE(empty->sink->Close().ok());
  for (size_t i = 0; i < known.size(); i += kPageSize) {
    index.Insert(HashPage(&known[i]), PagePos{blob->id, i});
    ASSERT_TRUE(blob->sink->Append(&known[i], kPageSize).ok());
  }
  ASSERT_TRUE(blob->sink->Close().ok());
  StreamManifest precopy;
  ASSERT_TRUE((*pre)->Finish(&precopy).ok());
  ASSERT_EQ(precopy.blobs.size(), 2u);
  EXPECT_TRUE(fs::exists(dir_ + "/ckpt/precopy-1.lz4"));

  auto writer = ShardedWriter::Open(store_, dir_ + "/ckpt", o);
  ASSERT_TRUE(writer.ok()) << writer.status().ToString();
  (*writer)->UsePageIndex(&index, 2);

  auto pages = (*writer)->Create("pages-1.img");
  auto other = (*writer)->Create("core-1.img");
  ASSERT_TRUE(pages.ok() && other.ok());
  // CRIU's writes arrive in pieces of any size.
  for (size_t at = 0; at < image.size(); at += 7777)
    ASSERT_TRUE((*pages)->Append(&image[at], std::min<size_t>(7777, image.size() - at)).ok());
  ASSERT_TRUE((*pages)->Close().ok());
  ASSERT_TRUE((*other)->Append(known.data(), 2 * kPageSize).ok());
  ASSERT_TRUE((*other)->Close().ok());
  StreamManifest m;
  ASSERT_TRUE((*writer)->Finish(&m).ok());
  MergePrecopy(std::move(precopy), &m);
  ASSERT_EQ(m.shards.size(), 5u);
  EXPECT_EQ(m.shards[0].name, "precopy-0.lz4");
  EXPECT_EQ(m.shards[2].name, "shard-0.lz4");

  // Through JSON and back, as restore sees it.
  auto parsed = StreamManifestFromJson(StreamManifestToJson(m));
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  ASSERT_EQ(parsed->blobs.size(), 3u);
  EXPECT_EQ(parsed->blobs[2].name, "changed-pages-1.img");
  EXPECT_EQ(parsed->blobs[2].size, 40 * kPageSize + 4) << "only the new pages are stored";
  const StreamFile* img = nullptr;
  for (const auto& f : parsed->files)
    if (f.name == "pages-1.img") img = &f;
  ASSERT_NE(img, nullptr);
  EXPECT_EQ(img->size, image.size());
  EXPECT_EQ(img->extents.size(), 5u) << "neighbouring pages should merge into one extent";

  auto reader = ShardedReader::Open(store_, dir_ + "/ckpt", std::move(*parsed));
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  auto r = (*reader)->Open("pages-1.img");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(ReadAll(r->get()) == image) << "the image differs after the round trip";
  auto core = (*reader)->Open("core-1.img");
  ASSERT_TRUE(core.ok());
  EXPECT_TRUE(ReadAll(core->get()) == known.substr(0, 2 * kPageSize));
  EXPECT_FALSE((*reader)->Open("precopy-1").ok()) << "blobs are not images";
}

std::string ManifestWith(const std::string& extents, const std::string& version = "2") {
  return R"({"format":"stasis-stream","format_version":)" + version +
         R"(,"checkpoint":{"format":"stasis-checkpoint","format_version":1,"kind":"stream"},)"
         R"("compression":"none","shards":[{"name":"shard-0.bin","size":8192}],)"
         R"("blobs":[{"name":"precopy-1","size":8192,"chunks":[[0,0,8192,8192,0]]}],)"
         R"("files":[{"name":"pages-1.img","size":4096,"extents":)" +
         extents + "}]}";
}

TEST(DedupManifestTest, ExtentsMustStayInsideTheirBlobAndAddUp) {
  EXPECT_TRUE(StreamManifestFromJson(ManifestWith("[[0,4096,4096]]")).ok());
  for (const char* bad : {"[[1,0,4096]]", "[[0,8192,4096]]", "[[0,4096,8192]]", "[[0,0,2048]]",
                          "[[0,0,0],[0,0,4096]]", "[[0,0]]", "[\"x\"]"}) {
    auto m = StreamManifestFromJson(ManifestWith(bad));
    ASSERT_FALSE(m.ok()) << bad;
    EXPECT_EQ(m.status().code(), StatusCode::kCorruption) << bad;
  }
  // Found by the fuzzer: a field of the wrong type outside the checked
  // section threw instead of failing.
  for (const char* odd : {R"({"format": ["stasis-stream"]})", R"({"format": "stasis-stream",
      "format_version": 1, "checkpoint": {"format_version": 1, "kind": "stream"},
      "compression": 7, "shards": [], "files": []})"}) {
    auto m = StreamManifestFromJson(odd);
    ASSERT_FALSE(m.ok());
    EXPECT_EQ(m.status().code(), StatusCode::kCorruption);
  }
  auto newer = StreamManifestFromJson(ManifestWith("[[0,0,4096]]", "5"));
  ASSERT_FALSE(newer.ok());
  EXPECT_NE(newer.status().message().find("upgrade stasis"), std::string::npos);
}

}  // namespace
}  // namespace stasis::stream
