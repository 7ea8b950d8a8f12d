#include "common/redact.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

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

TEST(RedactTest, NamesEndingInASecretSuffixAreRedacted) {
  for (const char* name : {"MY_DB_PASSWORD", "STASIS_CHECKPOINT_ENCRYPTION_KEY", "X_SECRET",
                           "Y_TOKEN", "my_db_password", "Signing_Key", "LICENSE_KEY"}) {
    SCOPED_TRACE(name);
    EXPECT_TRUE(IsSecretEnvName(name));
    const std::string entry = std::string(name) + "=plain-looking-value-9c1e";
    EXPECT_EQ(RedactEnv({entry}), std::vector<std::string>{std::string(name) + "=<redacted>"});
  }
}

TEST(RedactTest, OrdinaryVariablesAreKept) {
  for (const char* name : {"PATH", "HOME", "LANG", "KEYBOARD", "MONKEY", "KEY_ID",
                           "AWS_ACCESS_KEY_ID", "AWS_REGION"}) {
    EXPECT_FALSE(IsSecretEnvName(name)) << name;
  }
  const std::vector<std::string> env = {"PATH=/usr/local/bin:/usr/bin", "HOME=/home/ordinary-7d2a",
                                        "LANG=C.UTF-8", "KEYBOARD=us-intl-3b8f",
                                        "AWS_REGION=eu-west-3"};
  EXPECT_EQ(RedactEnv(env), env);
}

TEST(RedactTest, AKnownSecretValueIsRedactedUnderAnInnocentName) {
  const std::string secret = "innocent-name-secret-5e0b91";
  EXPECT_FALSE(IsKnownSecretValue(secret));
  EXPECT_EQ(RedactEnv({"BUILD_LABEL=" + secret}),
            std::vector<std::string>{"BUILD_LABEL=" + secret});
  AddSecretValue(secret);
  EXPECT_TRUE(IsKnownSecretValue(secret));
  EXPECT_EQ(RedactEnv({"BUILD_LABEL=" + secret, "OTHER=unrelated-value-5e0b92"}),
            (std::vector<std::string>{"BUILD_LABEL=<redacted>", "OTHER=unrelated-value-5e0b92"}));
  // Inside a longer value it is cut out, the rest kept.
  EXPECT_EQ(RedactEnv({"DSN=postgres://app:" + secret + "@db:5432/app"}),
            std::vector<std::string>{"DSN=postgres://app:<redacted>@db:5432/app"});
  // In an entry without '=' too.
  EXPECT_EQ(RedactEnv({"junk" + secret}), std::vector<std::string>{"junk<redacted>"});
}

TEST(RedactTest, ValuesShorterThanEightBytesAreNotRemembered) {
  const std::string seven = "q7w3e9r";
  const std::string eight = "q7w3e9r2";
  ASSERT_EQ(seven.size(), 7u);
  AddSecretValue(seven);
  AddSecretValue("");
  EXPECT_FALSE(IsKnownSecretValue(seven));
  EXPECT_FALSE(IsKnownSecretValue(""));
  EXPECT_EQ(RedactText("id " + seven + " here"), "id " + seven + " here");
  EXPECT_EQ(RedactEnv({"SHORT=" + seven}), std::vector<std::string>{"SHORT=" + seven});
  AddSecretValue(eight);
  EXPECT_TRUE(IsKnownSecretValue(eight));
  EXPECT_EQ(RedactText("id " + eight + " here"), "id <redacted> here");
}

TEST(RedactTest, RedactTextReplacesEveryOccurrence) {
  const std::string secret = "every-occurrence-a41f77";
  AddSecretValue(secret);
  EXPECT_EQ(RedactText(secret), "<redacted>");
  EXPECT_EQ(RedactText("a " + secret + " b " + secret + secret + " c\n" + secret),
            "a <redacted> b <redacted><redacted> c\n<redacted>");
  EXPECT_EQ(RedactText("nothing secret here"), "nothing secret here");
  // Two remembered secrets in one line.
  const std::string another = "second-secret-a41f78";
  AddSecretValue(another);
  EXPECT_EQ(RedactText("key=" + secret + " token=" + another), "key=<redacted> token=<redacted>");
}

// A secret that begins another must not leave the longer one's tail behind.
TEST(RedactTest, ASecretThatBeginsAnotherLeavesNoTail) {
  const std::string longer = "prefix-shared-b7d1-and-the-long-tail";
  const std::string shorter = "prefix-shared-b7d1";
  AddSecretValue(shorter);
  AddSecretValue(longer);
  EXPECT_EQ(RedactText("x=" + longer + " y=" + shorter), "x=<redacted> y=<redacted>");
  EXPECT_EQ(RedactEnv({"INNOCENT=a " + longer}), std::vector<std::string>{"INNOCENT=a <redacted>"});
}

TEST(RedactTest, AddingTheSameSecretTwiceIsHarmless) {
  const std::string secret = "twice-added-secret-c0ffee";
  AddSecretValue(secret);
  AddSecretValue(secret);
  EXPECT_EQ(RedactText("[" + secret + "]"), "[<redacted>]");
}

}  // namespace
}  // namespace stasis
