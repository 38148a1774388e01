#include "config/config.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "common/fs.h"

namespace dicomlake::config {
namespace {

class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char templ[] = "/tmp/dicomlake-config-XXXXXX";
    root_ = ::mkdtemp(templ);
    ASSERT_TRUE(fs::MakeDirs(fs::Join(root_, "admin/Files/system-configurations")).ok());
  }
  void TearDown() override { std::filesystem::remove_all(root_); }
  void WriteConfig(const std::string& text) {
    ASSERT_TRUE(fs::WriteFileAtomic(fs::Join(root_, kConfigRelativePath), text).ok());
  }
  std::string root_;
};

TEST_F(ConfigTest, DefaultsWithoutFile) {
  auto c = Config::Load(root_);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->settings().delta.checkpoint_interval, 10);
  EXPECT_EQ(c->settings().delta.vacuum_retain_hours, 168);
  for (const auto& e : c->entries()) EXPECT_EQ(e.source, Source::kDefault) << e.key;
}

TEST_F(ConfigTest, FlagBeatsFileBeatsDefault) {
  WriteConfig(R"({"delta": {"checkpoint_interval": 5, "vacuum_retain_hours": 24}})");
  auto c = Config::Load(root_, {"delta.checkpoint_interval=7"});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->settings().delta.checkpoint_interval, 7);
  EXPECT_EQ(c->settings().delta.vacuum_retain_hours, 24);
  EXPECT_EQ(c->settings().global.threads, 0);
  for (const auto& e : c->entries()) {
    if (e.key == "delta.checkpoint_interval") {
      EXPECT_EQ(e.source, Source::kFlag);
    } else if (e.key == "delta.vacuum_retain_hours") {
      EXPECT_EQ(e.source, Source::kFile);
    } else if (e.key == "global.threads") {
      EXPECT_EQ(e.source, Source::kDefault);
    }
  }
}

TEST_F(ConfigTest, UnknownKeyNamesKeyAndFile) {
  WriteConfig(R"({"delta": {"checkpoint_intervall": 5}})");
  auto c = Config::Load(root_);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("delta.checkpoint_intervall"), std::string::npos);
  EXPECT_NE(c.status().message().find("dicomlake.json"), std::string::npos);
}

TEST_F(ConfigTest, BadValuesNameTheKey) {
  struct Case {
    const char* file;
    const char* key;
  } cases[] = {
      {R"({"delta": {"checkpoint_interval": 0}})", "delta.checkpoint_interval"},
      {R"({"delta": {"checkpoint_interval": "ten"}})", "delta.checkpoint_interval"},
      {R"({"global": {"threads": -1}})", "global.threads"},
      {R"({"global": {"memory_limit": 4}})", "global.memory_limit"},
      {R"({"delta": 3})", "delta"},
  };
  for (const auto& c : cases) {
    WriteConfig(c.file);
    auto r = Config::Load(root_);
    ASSERT_FALSE(r.ok()) << c.file;
    EXPECT_NE(r.status().message().find(c.key), std::string::npos) << r.status().message();
  }
}

TEST_F(ConfigTest, BadFlagNamesTheFlag) {
  auto r = Config::Load(root_, {"delta.nope=1"});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("--set delta.nope=1"), std::string::npos);
  EXPECT_FALSE(Config::Load(root_, {"novalue"}).ok());
  // A bare word on the command line is a string.
  auto ok = Config::Load(root_, {"global.memory_limit=4GB"});
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->settings().global.memory_limit, "4GB");
}

TEST_F(ConfigTest, DefaultFileLoadsToDefaults) {
  WriteConfig(Config::DefaultFileJson());
  auto c = Config::Load(root_);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->ToJson(), Config().ToJson());
}

}  // namespace
}  // namespace dicomlake::config
