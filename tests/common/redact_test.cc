#include "common/redact.h"

#include <gtest/gtest.h>

namespace stasis {
namespace {

TEST(RedactTest, SecretLookingVariablesAreRedactedAndOthersKept) {
  std::vector<std::string> env = {"AWS_SECRET_ACCESS_KEY=abc",
                                  "AWS_SESSION_TOKEN=t",
                                  "db_password=p",
                                  "GITHUB_TOKEN=g",
                                  "OPENAI_API_KEY=k",
                                  "AWS_ACCESS_KEY_ID=AKIA",
                                  "PATH=/usr/bin",
                                  "EMPTY=",
                                  "NOEQUALS",
                                  "X=a=b"};
  std::vector<std::string> want = {"AWS_SECRET_ACCESS_KEY=<redacted>",
                                   "AWS_SESSION_TOKEN=<redacted>",
                                   "db_password=<redacted>",
                                   "GITHUB_TOKEN=<redacted>",
                                   "OPENAI_API_KEY=<redacted>",
                                   "AWS_ACCESS_KEY_ID=AKIA",
                                   "PATH=/usr/bin",
                                   "EMPTY=",
                                   "NOEQUALS",
                                   "X=a=b"};
  EXPECT_EQ(RedactEnv(env), want);
}

}  // namespace
}  // namespace stasis
