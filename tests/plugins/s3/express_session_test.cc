// Directory buckets (S3 Express One Zone): the zonal endpoint, the
// CreateSession request, and session-signed requests, each checked against
// the request botocore sends for the same input at the same instant
// (vectors/directory_bucket_requests.py made the expected values), and the
// session cache's refresh rule.
#include "plugins/s3/express_session.h"

#include <gtest/gtest.h>

#include "plugins/s3/endpoint.h"
#include "plugins/s3/sigv4.h"

namespace stasis::s3 {
namespace {

constexpr char kBucket[] = "mybucket--use1-az4--x-s3";
constexpr char kDate[] = "20261124T120000Z";
constexpr int64_t kExpiration = 1795521900;  // 2026-11-24T12:05:00Z

Credentials Base(const std::string& token = "") {
  return {"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", token, 0};
}

BucketEndpoint Zonal() {
  auto e = ResolveBucketEndpoint(S3Options{}, "us-east-1", kBucket);
  EXPECT_TRUE(e.ok()) << e.status().ToString();
  return *e;
}

std::string Header(const SignedHeaders& s, const std::string& name) {
  for (const auto& [k, v] : s.headers) {
    if (k == name) return v;
  }
  return "(absent)";
}

TEST(DirectoryBucketTest, ZonalEndpointVirtualHostedWithTheS3expressService) {
  BucketEndpoint e = Zonal();
  EXPECT_TRUE(e.directory_bucket);
  EXPECT_EQ(e.service, "s3express");
  EXPECT_EQ(e.base_url,
            "https://mybucket--use1-az4--x-s3.s3express-use1-az4.us-east-1.amazonaws.com");
  EXPECT_EQ(e.host, "mybucket--use1-az4--x-s3.s3express-use1-az4.us-east-1.amazonaws.com");
  EXPECT_EQ(e.path_prefix, "");
  EXPECT_EQ(ObjectPath(e, "ckpt/dump a.tar.zst"), "/ckpt/dump%20a.tar.zst");
  // An ordinary bucket in the same region is not zonal.
  auto plain = ResolveBucketEndpoint(S3Options{}, "us-east-1", "mybucket");
  ASSERT_TRUE(plain.ok());
  EXPECT_FALSE(plain->directory_bucket);
  EXPECT_EQ(plain->service, "s3");
}

SigningParams CreateSessionParams() {
  SigningParams p;
  p.region = "us-east-1";
  p.service = "s3express";
  p.amz_date = kDate;
  p.session_token_header = "X-Amz-Security-Token";
  return p;
}

TEST(DirectoryBucketTest, CreateSessionRequestMatchesBotocore) {
  SignableRequest r = CreateSessionRequest(Zonal());
  EXPECT_EQ(r.method, "GET");
  EXPECT_EQ(r.path, "/");
  ASSERT_EQ(r.query.size(), 1u);
  EXPECT_EQ(r.query[0].first, "session");
  SignedHeaders s = SignRequest(r, Base(), CreateSessionParams());
  EXPECT_EQ(Header(s, "Authorization"),
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261124/us-east-1/s3express/aws4_request, "
            "SignedHeaders=host;x-amz-content-sha256;x-amz-date, "
            "Signature=196b7a30840dc3e9580899476500404b6495431631c13482ada4801c80a0f2df");
  EXPECT_EQ(Header(s, "X-Amz-Content-Sha256"),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(DirectoryBucketTest, CreateSessionWithStsCredentialsCarriesTheSecurityToken) {
  SignedHeaders s =
      SignRequest(CreateSessionRequest(Zonal()), Base("BASESTSTOKEN"), CreateSessionParams());
  EXPECT_EQ(Header(s, "X-Amz-Security-Token"), "BASESTSTOKEN");
  EXPECT_EQ(Header(s, "X-Amz-S3session-Token"), "(absent)");
  EXPECT_EQ(Header(s, "Authorization"),
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261124/us-east-1/s3express/aws4_request, "
            "SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token, "
            "Signature=ef6e0836e4d1661bc4d76830a7ffa80e73d020876b6a5ebf2244fae41044df65");
}

TEST(DirectoryBucketTest, SessionSignedGetMatchesBotocore) {
  BucketEndpoint e = Zonal();
  SignableRequest r;
  r.method = "GET";
  r.host = e.host;
  r.path = ObjectPath(e, "ckpt/dump a.tar.zst");
  // botocore adds x-amz-checksum-mode to GetObject; stasis does not need
  // it, but it is here so the request is the same one.
  r.headers = {{"Range", "bytes=0-4"}, {"x-amz-checksum-mode", "ENABLED"}};
  r.payload_sha256 = Sha256Hex("", 0);
  SigningParams p;
  p.region = "us-east-1";
  p.service = "s3express";
  p.amz_date = kDate;
  Credentials session{"ASIASESSIONKEY", "TESTSESSIONSECRET", "TESTSESSIONTOKEN", kExpiration};
  SignedHeaders s = SignRequest(r, session, p);
  EXPECT_EQ(Header(s, "X-Amz-S3session-Token"), "TESTSESSIONTOKEN");
  EXPECT_EQ(Header(s, "X-Amz-Security-Token"), "(absent)") << "directory buckets refuse it";
  EXPECT_EQ(Header(s, "Authorization"),
            "AWS4-HMAC-SHA256 Credential=ASIASESSIONKEY/20261124/us-east-1/s3express/aws4_request, "
            "SignedHeaders=host;range;x-amz-checksum-mode;x-amz-content-sha256;x-amz-date;"
            "x-amz-s3session-token, "
            "Signature=4c9e6a68b0613880832a49a1bf94cd518fd1275054140aba4a2ac527a2ff5252");
}

TEST(DirectoryBucketTest, ParsesCreateSessionResult) {
  auto c = ParseCreateSessionResponse(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?><CreateSessionResult "
      "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Credentials><SessionToken>TOKEN</"
      "SessionToken><SecretAccessKey>SECRET</SecretAccessKey><AccessKeyId>ASIAKEY</"
      "AccessKeyId><Expiration>2026-11-24T12:05:00Z</Expiration></Credentials></"
      "CreateSessionResult>");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->access_key_id, "ASIAKEY");
  EXPECT_EQ(c->secret_access_key, "SECRET");
  EXPECT_EQ(c->session_token, "TOKEN");
  EXPECT_EQ(c->expiration, kExpiration);
  EXPECT_FALSE(ParseCreateSessionResponse("<CreateSessionResult/>").ok());
  EXPECT_FALSE(ParseCreateSessionResponse("not xml").ok());
}

TEST(DirectoryBucketTest, SessionsAreCachedAndRenewedBeforeTheyExpire) {
  int fetches = 0;
  SessionCache cache(
      [&](const std::string& bucket) -> Result<Credentials> {
        ++fetches;
        return Credentials{"K" + std::to_string(fetches), "S", "T:" + bucket, kExpiration};
      },
      60);
  const int64_t t0 = kExpiration - 300;
  EXPECT_EQ(cache.Get(kBucket, t0)->access_key_id, "K1");
  EXPECT_EQ(cache.Get(kBucket, t0 + 239)->access_key_id, "K1") << "still 61 s left";
  EXPECT_EQ(cache.Get(kBucket, t0 + 240)->access_key_id, "K2") << "60 s left: renew";
  EXPECT_EQ(fetches, 2);
  EXPECT_EQ(cache.Get("other--use1-az4--x-s3", t0)->session_token, "T:other--use1-az4--x-s3");
  cache.Invalidate(kBucket);
  EXPECT_EQ(cache.Get(kBucket, t0)->access_key_id, "K4");
}

TEST(DirectoryBucketTest, AFailedCreateSessionIsNotCached) {
  int fetches = 0;
  SessionCache cache([&](const std::string&) -> Result<Credentials> {
    if (++fetches == 1) return Status::Unavailable("no route");
    return Credentials{"K", "S", "T", kExpiration};
  });
  EXPECT_FALSE(cache.Get(kBucket, kExpiration - 300).ok());
  EXPECT_TRUE(cache.Get(kBucket, kExpiration - 300).ok());
}

}  // namespace
}  // namespace stasis::s3
