// Signature V4 against AWS's published vectors: the generic SigV4 test
// suite (credentials AKIDEXAMPLE, service "service", 2015-08-30) and the S3
// documentation's GET Object example. Inputs and expected values are AWS's.
#include "plugins/s3/sigv4.h"

#include <gtest/gtest.h>

namespace stasis::s3 {
namespace {

const Credentials kSuiteKeys{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "", 0};
const std::string kEmptySha = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

SigningParams SuiteParams() {
  SigningParams p;
  p.region = "us-east-1";
  p.service = "service";
  p.amz_date = "20150830T123600Z";
  p.s3_headers = false;
  return p;
}

std::string Header(const SignedHeaders& s, const std::string& name) {
  for (const auto& [k, v] : s.headers)
    if (k == name) return v;
  return "";
}

std::string SignatureOf(const SignedHeaders& s) {
  std::string auth = Header(s, "Authorization");
  return auth.substr(auth.rfind('=') + 1);
}

SignableRequest SuiteRequest(const std::string& method,
                             std::vector<std::pair<std::string, std::string>> query = {}) {
  SignableRequest r;
  r.method = method;
  r.host = "example.amazonaws.com";
  r.path = "/";
  r.query = std::move(query);
  r.payload_sha256 = kEmptySha;
  return r;
}

TEST(SigV4Test, GetVanilla) {
  SignedHeaders s = SignRequest(SuiteRequest("GET"), kSuiteKeys, SuiteParams());
  EXPECT_EQ(s.canonical_request,
            "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
            "host;x-amz-date\n" +
                kEmptySha);
  EXPECT_EQ(s.string_to_sign,
            "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
            "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63");
  EXPECT_EQ(Header(s, "Authorization"),
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
            "SignedHeaders=host;x-amz-date, "
            "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
}

TEST(SigV4Test, PostVanilla) {
  SignedHeaders s = SignRequest(SuiteRequest("POST"), kSuiteKeys, SuiteParams());
  EXPECT_EQ(SignatureOf(s), "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b");
}

TEST(SigV4Test, GetVanillaQueryOrderKeyCase) {
  SignedHeaders s = SignRequest(SuiteRequest("GET", {{"Param2", "value2"}, {"Param1", "value1"}}),
                                kSuiteKeys, SuiteParams());
  EXPECT_NE(s.canonical_request.find("\nParam1=value1&Param2=value2\n"), std::string::npos);
  EXPECT_EQ(SignatureOf(s), "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500");
}

TEST(SigV4Test, GetVanillaQueryOrderValue) {
  SignedHeaders s = SignRequest(SuiteRequest("GET", {{"Param1", "value2"}, {"Param1", "value1"}}),
                                kSuiteKeys, SuiteParams());
  EXPECT_EQ(SignatureOf(s), "5772eed61e12b33fae39ee5e7012498b51d56abc0abb7c60486157bd471c4694");
}

TEST(SigV4Test, S3GetObjectExampleFromTheS3Docs) {
  Credentials keys{"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "", 0};
  SignableRequest r;
  r.method = "GET";
  r.host = "examplebucket.s3.amazonaws.com";
  r.path = "/test.txt";
  r.headers = {{"Range", "bytes=0-9"}};
  r.payload_sha256 = kEmptySha;
  SigningParams p;
  p.region = "us-east-1";
  p.amz_date = "20130524T000000Z";
  SignedHeaders s = SignRequest(r, keys, p);
  EXPECT_EQ(Header(s, "Authorization"),
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
            "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
            "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
  EXPECT_EQ(Header(s, "X-Amz-Content-Sha256"), kEmptySha);
}

TEST(SigV4Test, SessionTokensAreSignedUnderTheRightName) {
  Credentials keys{"AKID", "secret", "token-123", 0};
  SignableRequest r = SuiteRequest("GET");
  SigningParams p = SuiteParams();
  p.s3_headers = true;
  p.service = "s3";
  SignedHeaders s = SignRequest(r, keys, p);
  EXPECT_EQ(Header(s, "X-Amz-Security-Token"), "token-123");
  EXPECT_NE(s.canonical_request.find("x-amz-security-token:token-123"), std::string::npos);
  p.service = "s3express";
  s = SignRequest(r, keys, p);
  EXPECT_EQ(Header(s, "X-Amz-S3session-Token"), "token-123");
  EXPECT_NE(Header(s, "Authorization").find("/s3express/aws4_request"), std::string::npos);
  EXPECT_EQ(s.canonical_request.find("secret"), std::string::npos);
}

TEST(SigV4Test, UriEncoding) {
  EXPECT_EQ(UriEncode("a b/c~d", false), "a%20b/c~d");
  EXPECT_EQ(UriEncode("a b/c", true), "a%20b%2Fc");
  EXPECT_EQ(UriEncode("\xe1\x88\xb4", true), "%E1%88%B4");
}

}  // namespace
}  // namespace stasis::s3
