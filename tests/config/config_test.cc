#include "config/config.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>

namespace stasis::config {
namespace {

EnvLookup FakeEnv(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

TEST(ConfigTest, MissingFileMeansDefaults) {
  auto c = LoadConfig("/nonexistent/stasis.json", FakeEnv({}));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->address, "/run/stasis/stasis.sock");
  EXPECT_EQ(c->checkpoint_compression, "zstd");
  EXPECT_EQ(c->db_path, "/var/lib/stasis/stasis.db");
}

TEST(ConfigTest, DefaultTextParsesBackToDefaults) {
  auto parsed = ParseConfigText(DefaultConfigText(), "default");
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(ConfigToDisplayJson(*parsed), ConfigToDisplayJson(Config{}));
}

TEST(ConfigTest, CommentsAndNestedKeys) {
  auto c = ParseConfigText(R"({
    // a comment
    "checkpoint": { "dir": "s3://bucket/ckpt", /* inline */ "compression": "lz4" },
    "state": { "dir": "/srv/stasis" }
  })",
                           "test.json");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->checkpoint_dir, "s3://bucket/ckpt");
  EXPECT_EQ(c->checkpoint_compression, "lz4");
  EXPECT_EQ(c->db_path, "/srv/stasis/stasis.db") << "db.path follows state.dir";
}

TEST(ConfigTest, BadValuesNameTheKey) {
  struct Case {
    const char* text;
    const char* expect;
  } cases[] = {
      {R"({"checkpoint": {"compression": "foo"}})", "checkpoint.compression"},
      {R"({"checkpoint": {"stream": "x"}})", "checkpoint.stream"},
      {R"({"checkpoint": {"stream": 1000}})", "checkpoint.stream"},
      {R"({"nosuch": 1})", "nosuch"},
      {R"({"checkpoint": {"dir": "relative"}})", "checkpoint.dir"},
      {R"({"log": {"level": "loud"}})", "log.level"},
      {R"({"checkpoint": )", "line"},
  };
  for (const Case& c : cases) {
    auto r = ParseConfigText(c.text, "test.json");
    ASSERT_FALSE(r.ok()) << c.text;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << c.text;
    EXPECT_NE(r.status().message().find(c.expect), std::string::npos) << r.status().message();
    EXPECT_NE(r.status().message().find("test.json"), std::string::npos) << r.status().message();
  }
}

TEST(ConfigTest, EnvironmentOverridesFile) {
  std::string path = std::filesystem::temp_directory_path() / "stasis-config-test.json";
  std::ofstream(path) << R"({"checkpoint": {"compression": "gzip", "dir": "/a"}})";
  auto c = LoadConfig(
      path, FakeEnv({{"STASIS_CHECKPOINT_COMPRESSION", "none"}, {"STASIS_CHECKPOINT_DIR", ""}}));
  std::remove(path.c_str());
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->checkpoint_compression, "none");
  EXPECT_EQ(c->checkpoint_dir, "/a") << "an empty variable counts as unset";

  auto bad = LoadConfig("/nonexistent", FakeEnv({{"STASIS_CHECKPOINT_STREAM", "x"}}));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("STASIS_CHECKPOINT_STREAM"), std::string::npos);
}

TEST(ConfigTest, SecretsNeverDisplayed) {
  Config c;
  c.aws.access_key_id = "AKIDEXAMPLE";
  c.aws.secret_access_key = "wJalrXUtnFEMI-super-secret";
  c.aws.session_token = "session-token-secret";
  std::string shown = ConfigToDisplayJson(c);
  EXPECT_EQ(shown.find("super-secret"), std::string::npos);
  EXPECT_EQ(shown.find("session-token-secret"), std::string::npos);
  EXPECT_NE(shown.find("(set)"), std::string::npos);
}

}  // namespace
}  // namespace stasis::config
