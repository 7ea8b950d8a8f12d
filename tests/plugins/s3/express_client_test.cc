// The directory bucket flow end to end against the loopback server, which
// serves --x-s3 buckets as S3 Express One Zone does (tests/s3server): the
// client creates a session, signs with it for s3express, renews it before it
// lapses and once more when the server revokes it.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <thread>

#include "plugins/s3/endpoint.h"
#include "plugins/s3/s3_client.h"
#include "plugins/s3/s3_reader.h"
#include "plugins/s3/s3_writer.h"
#include "s3_server_fixture.h"

namespace stasis::s3 {
namespace {

constexpr char kBucket[] = "ckpt--use1-az4--x-s3";

std::string Curl(const std::string& args) {
  std::string out;
  FILE* p = ::popen(("curl -sf " + args).c_str(), "r");
  char buf[512];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  ::pclose(p);
  return out;
}

class ExpressClientTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // Sessions of 62 s: with the client's 60 s margin, each is renewed
    // after 2 s, so renewal happens within the test.
    ::setenv("S3SERVER_SESSION_SECONDS", "62", 1);
    server_ = new S3ServerFixture(kBucket);
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  void SetUp() override {
    if (!server_->ok()) GTEST_SKIP() << "the test S3 server is not installed; run scripts/setup.sh";
  }
  std::shared_ptr<S3Client> Client() {
    S3Options o;
    o.endpoint = server_->endpoint();
    o.path_style = true;
    o.max_attempts = 3;
    auto e = ResolveBucketEndpoint(o, "us-east-1", kBucket);
    EXPECT_TRUE(e.ok());
    EXPECT_TRUE(e->directory_bucket);
    EXPECT_EQ(e->service, "s3express");
    return std::make_shared<S3Client>(o, Credentials{"S3RVER", "S3RVER", "", 0}, "us-east-1",
                                      kBucket, *e);
  }
  int SessionsMade() {
    std::string j = Curl(server_->endpoint() + "/__sessions");
    size_t at = j.find("\"made\":");
    return at == std::string::npos ? -1 : std::atoi(j.c_str() + at + 7);
  }
  static S3ServerFixture* server_;
};

S3ServerFixture* ExpressClientTest::server_ = nullptr;

TEST_F(ExpressClientTest, OneSessionServesManyRequestsAndIsRenewedBeforeItLapses) {
  auto c = Client();
  Status check = c->CheckBucket();
  ASSERT_TRUE(check.ok()) << check.ToString();
  ASSERT_TRUE(c->PutObject("a/x", "hello", 5).ok());
  auto got = c->GetRange("a/x", 0, 5);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, "hello");
  auto listed = c->List("a/", true);
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  ASSERT_EQ(listed->objects.size(), 1u);
  EXPECT_EQ(SessionsMade(), 1) << "every request after the first should reuse the session";

  std::this_thread::sleep_for(std::chrono::milliseconds(2200));
  ASSERT_TRUE(c->HeadObject("a/x").ok());
  EXPECT_EQ(SessionsMade(), 2) << "a session within 60 s of expiry should be renewed";
}

TEST_F(ExpressClientTest, ARevokedSessionIsReplacedOnce) {
  auto c = Client();
  ASSERT_TRUE(c->PutObject("b/x", "abc", 3).ok());
  int before = SessionsMade();
  Curl("-X DELETE " + server_->endpoint() + "/__sessions");
  auto head = c->HeadObject("b/x");
  ASSERT_TRUE(head.ok()) << head.status().ToString();
  EXPECT_EQ(SessionsMade(), before + 1);
}

TEST_F(ExpressClientTest, MultipartUploadAndRangedReadsThroughSessions) {
  auto c = Client();
  std::string data((11 << 20) + 17, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 2654435761u >> 13);
  {
    S3Writer w(c, "big/blob", 5 << 20, 3);
    ASSERT_TRUE(w.Append(data.data(), data.size()).ok());
    ASSERT_TRUE(w.Commit().ok());
  }
  S3Reader r(c, "big/blob", data.size(), 5 << 20, 3);
  std::string back(data.size(), '\0');
  size_t got = 0;
  while (got < back.size()) {
    auto n = r.Read(back.data() + got, back.size() - got);
    ASSERT_TRUE(n.ok()) << n.status().ToString();
    if (*n == 0) break;
    got += *n;
  }
  EXPECT_EQ(got, data.size());
  EXPECT_TRUE(back == data);
}

TEST_F(ExpressClientTest, BaseCredentialsAloneAreRefusedForObjectRequests) {
  // A client that skips CreateSession, as a plain-s3 client would.
  S3Options o;
  o.endpoint = server_->endpoint();
  o.path_style = true;
  o.max_attempts = 1;
  auto e = ResolveBucketEndpoint(o, "us-east-1", kBucket);
  ASSERT_TRUE(e.ok());
  e->directory_bucket = false;  // no sessions, still signed for s3express
  S3Client plain(o, Credentials{"S3RVER", "S3RVER", "", 0}, "us-east-1", kBucket, *e);
  Status st = plain.PutObject("c/x", "x", 1);
  EXPECT_EQ(st.code(), StatusCode::kPermissionDenied) << st.ToString();
}

}  // namespace
}  // namespace stasis::s3
