// The S3 client against a real S3-compatible server on loopback, checked
// by an independent client (the AWS CLI) where it matters.
#include "plugins/s3/s3_client.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include "plugins/s3/endpoint.h"
#include "plugins/s3/s3_reader.h"
#include "plugins/s3/s3_writer.h"
#include "s3_server_fixture.h"

namespace stasis::s3 {
namespace {

std::string Shell(const std::string& cmd) {
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  ::pclose(p);
  return out;
}

// Per process: ctest runs these tests in parallel.
std::string TempPath(const std::string& name) {
  return "/tmp/stasis-s3-" + std::to_string(::getpid()) + "-" + name;
}

std::string RandomBytes(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng());
  return s;
}

class S3ClientTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { server_ = new S3ServerFixture("ckpt"); }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  void SetUp() override {
    if (!server_->ok()) GTEST_SKIP() << "s3rver is not installed; run scripts/setup.sh";
  }
  std::unique_ptr<S3Client> Client(const std::string& bucket = "ckpt",
                                   const std::string& secret = "S3RVER",
                                   const std::string& endpoint = "",
                                   const std::string& payload_signing = "auto") {
    S3Options o;
    o.payload_signing = payload_signing;
    o.endpoint = endpoint.empty() ? server_->endpoint() : endpoint;
    o.path_style = true;
    o.max_attempts = 3;
    auto e = ResolveBucketEndpoint(o, "us-east-1", bucket);
    EXPECT_TRUE(e.ok());
    return std::make_unique<S3Client>(o, Credentials{"S3RVER", secret, "", 0}, "us-east-1", bucket,
                                      *e);
  }
  static S3ServerFixture* server_;
};

S3ServerFixture* S3ClientTest::server_ = nullptr;

TEST_F(S3ClientTest, PutHeadGetListDelete) {
  auto c = Client();
  std::string data = RandomBytes(100000, 1);
  ASSERT_TRUE(c->PutObject("dir/a b.bin", data.data(), data.size()).ok());
  auto head = c->HeadObject("dir/a b.bin");
  ASSERT_TRUE(head.ok()) << head.status().ToString();
  EXPECT_EQ(head->size, data.size());
  auto part = c->GetRange("dir/a b.bin", 1000, 5000);
  ASSERT_TRUE(part.ok()) << part.status().ToString();
  EXPECT_EQ(*part, data.substr(1000, 5000));
  ASSERT_TRUE(c->PutObject("dir/sub/x", "x", 1).ok());
  auto list = c->List("dir/", true);
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  ASSERT_EQ(list->objects.size(), 1u);
  EXPECT_EQ(list->objects[0].key, "dir/a b.bin");
  EXPECT_EQ(list->objects[0].size, data.size());
  ASSERT_EQ(list->prefixes.size(), 1u);
  EXPECT_EQ(list->prefixes[0], "dir/sub/");
  ASSERT_TRUE(c->DeleteObject("dir/a b.bin").ok());
  auto gone = c->HeadObject("dir/a b.bin");
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.status().code(), StatusCode::kNotFound);
}

TEST_F(S3ClientTest, MultipartUploadIsByteIdenticalForTheAwsCli) {
  auto c = Client();
  std::string data = RandomBytes((5 << 20) * 2 + 12345, 2);
  auto id = c->CreateMultipartUpload("big.bin");
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  std::vector<CompletedPart> parts;
  size_t part_size = 5 << 20;
  for (size_t off = 0, n = 1; off < data.size(); off += part_size, ++n) {
    size_t len = std::min(part_size, data.size() - off);
    auto p = c->UploadPart("big.bin", *id, static_cast<int>(n), data.data() + off, len);
    ASSERT_TRUE(p.ok()) << p.status().ToString();
    parts.push_back(*p);
  }
  ASSERT_TRUE(c->CompleteMultipartUpload("big.bin", *id, parts).ok());
  std::string out = TempPath("big.bin");
  Shell(server_->Aws("s3 cp s3://ckpt/big.bin " + out + " --only-show-errors"));
  std::ifstream in(out, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  std::remove(out.c_str());
  EXPECT_TRUE(ss.str() == data) << "the AWS CLI read back different bytes";
}

std::string ReadAll(storage::Reader& r) {
  std::string out;
  std::string buf(777 * 1024, '\0');
  for (;;) {
    auto n = r.Read(buf.data(), buf.size());
    EXPECT_TRUE(n.ok()) << n.status().ToString();
    if (!n.ok() || *n == 0) break;
    out.append(buf.data(), *n);
  }
  return out;
}

class S3PayloadTest : public S3ClientTest, public ::testing::WithParamInterface<const char*> {};

// "always" signs bodies and checksums them with SHA-256; "never" sends
// UNSIGNED-PAYLOAD with CRC32 (what https uses). The server checks both.
INSTANTIATE_TEST_SUITE_P(Signing, S3PayloadTest, ::testing::Values("always", "never"));

TEST_P(S3PayloadTest, ParallelWriterAndReaderRoundTrip) {
  std::shared_ptr<S3Client> c = Client("ckpt", "S3RVER", "", GetParam());
  EXPECT_EQ(c->signs_payload(), std::string(GetParam()) == "always");
  std::string data = RandomBytes((23 << 20) + 321, 4);
  // One key per case: the cases of this suite share one server.
  const std::string key = std::string("stream/big-") + GetParam() + ".bin";
  {
    S3Writer w(c, key, 5 << 20, 3);
    // Odd append sizes cross part boundaries everywhere.
    for (size_t off = 0; off < data.size();) {
      size_t n = std::min<size_t>(1234567, data.size() - off);
      ASSERT_TRUE(w.Append(data.data() + off, n).ok());
      off += n;
      // Stored counts whole confirmed parts only, never what is buffered.
      uint64_t stored = w.BytesStored();
      EXPECT_LE(stored, w.BytesWritten());
      EXPECT_EQ(stored % (5 << 20), 0u) << "stored " << stored << " is not whole parts";
    }
    EXPECT_LT(w.BytesStored(), data.size()) << "the last part cannot be stored before Commit()";
    EXPECT_FALSE(c->HeadObject(key).ok()) << "visible before Commit()";
    ASSERT_TRUE(w.Commit().ok());
    EXPECT_EQ(w.BytesWritten(), data.size());
    EXPECT_EQ(w.BytesStored(), data.size());
  }
  auto head = c->HeadObject(key);
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(head->size, data.size());
  S3Reader r(c, key, head->size, 5 << 20, 3);
  EXPECT_TRUE(ReadAll(r) == data) << "read back different bytes";

  std::string out = TempPath("stream.bin");
  Shell(server_->Aws("s3 cp s3://ckpt/" + key + " " + out + " --only-show-errors"));
  std::ifstream in(out, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  std::remove(out.c_str());
  EXPECT_TRUE(ss.str() == data) << "the AWS CLI read back different bytes";
}

// The shards of a streamed dump upload side by side through one budget:
// together they never hold more parts than it has slots, every slot comes
// back, and every object is whole.
TEST_F(S3ClientTest, WritersSharingAPartBudgetStayWithinIt) {
  std::shared_ptr<S3Client> c = Client();
  auto budget = std::make_shared<PartBudget>(3);
  std::vector<std::string> data(4);
  for (size_t i = 0; i < data.size(); ++i) data[i] = RandomBytes((17 << 20) + i * 4096, 10 + i);
  std::vector<std::thread> writers;
  writers.reserve(data.size());
  std::vector<Status> results(data.size());
  for (size_t i = 0; i < data.size(); ++i) {
    writers.emplace_back([&, i] {
      S3Writer w(c, "shared/" + std::to_string(i), 5 << 20, 4, nullptr, budget);
      for (size_t off = 0; off < data[i].size(); off += 1 << 20) {
        Status st = w.Append(data[i].data() + off, std::min<size_t>(1 << 20, data[i].size() - off));
        if (!st.ok()) {
          results[i] = st;
          return;
        }
      }
      results[i] = w.Commit();
    });
  }
  for (auto& t : writers) t.join();
  for (size_t i = 0; i < data.size(); ++i) {
    ASSERT_TRUE(results[i].ok()) << results[i].ToString();
    auto head = c->HeadObject("shared/" + std::to_string(i));
    ASSERT_TRUE(head.ok());
    S3Reader r(c, "shared/" + std::to_string(i), head->size, 5 << 20, 2);
    EXPECT_TRUE(ReadAll(r) == data[i]) << "object " << i << " differs";
  }
  EXPECT_LE(budget->peak(), 3);
  EXPECT_GE(budget->peak(), 2) << "the writers never overlapped: the test proves nothing";
  EXPECT_EQ(budget->free_slots(), 3) << "a slot was not given back";
}

TEST_F(S3ClientTest, SmallObjectsAreOnePutAndUncommittedOnesNeverAppear) {
  std::shared_ptr<S3Client> c = Client();
  {
    S3Writer w(c, "small.bin", 5 << 20, 2);
    ASSERT_TRUE(w.Append("hello", 5).ok());
  }
  EXPECT_FALSE(c->HeadObject("small.bin").ok());
  S3Writer w(c, "small.bin", 5 << 20, 2);
  ASSERT_TRUE(w.Append("hello", 5).ok());
  EXPECT_EQ(w.BytesStored(), 0u) << "a small object is one PUT at Commit()";
  ASSERT_TRUE(w.Commit().ok());
  EXPECT_EQ(w.BytesStored(), 5u);
  S3Reader r(c, "small.bin", 5, 5 << 20, 2);
  EXPECT_EQ(ReadAll(r), "hello");
}

// The server's own list of open multipart uploads, read by the AWS CLI.
int OpenUploads(const S3ServerFixture& server) {
  std::string out = Shell(server.Aws("s3api list-multipart-uploads --bucket ckpt --output json"));
  int n = 0;
  for (size_t at = out.find("\"UploadId\""); at != std::string::npos;
       at = out.find("\"UploadId\"", at + 1))
    ++n;
  return n;
}

TEST_F(S3ClientTest, AnAbandonedMultipartUploadIsAbortedOnTheServer) {
  std::shared_ptr<S3Client> c = Client();
  std::string data = RandomBytes(12 << 20, 3);
  {
    S3Writer w(c, "abandoned.bin", 5 << 20, 2);
    ASSERT_TRUE(w.Append(data.data(), data.size()).ok());
    EXPECT_EQ(OpenUploads(*server_), 1) << "the upload should be open while writing";
  }
  EXPECT_EQ(OpenUploads(*server_), 0) << "the writer left a multipart upload behind";
  EXPECT_FALSE(c->HeadObject("abandoned.bin").ok());
}

TEST_F(S3ClientTest, AWrongSecretIsRefusedByTheServerWithOneSentence) {
  std::shared_ptr<S3Client> c = Client("ckpt", "not-the-secret");
  Status st = c->PutObject("x", "x", 1);
  EXPECT_EQ(st.code(), StatusCode::kPermissionDenied) << st.ToString();
  EXPECT_NE(st.message().find("SignatureDoesNotMatch"), std::string::npos) << st.message();
  EXPECT_EQ(st.message().find('\n'), std::string::npos) << st.message();
  EXPECT_EQ(st.message().find("not-the-secret"), std::string::npos) << "the secret leaked";
}

TEST_F(S3ClientTest, ClearErrors) {
  auto missing_bucket = Client("no-such-bucket")->CheckBucket();
  EXPECT_EQ(missing_bucket.code(), StatusCode::kNotFound) << missing_bucket.ToString();
  EXPECT_NE(missing_bucket.message().find("no-such-bucket does not exist"), std::string::npos);

  auto missing_key = Client()->GetRange("nope", 0, 10);
  EXPECT_EQ(missing_key.status().code(), StatusCode::kNotFound);

  auto t0 = std::chrono::steady_clock::now();
  auto unreachable = Client("ckpt", "S3RVER", "http://127.0.0.1:9")->CheckBucket();
  EXPECT_EQ(unreachable.code(), StatusCode::kUnavailable) << unreachable.ToString();
  EXPECT_NE(unreachable.message().find("127.0.0.1:9"), std::string::npos);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(10));
}

}  // namespace
}  // namespace stasis::s3
