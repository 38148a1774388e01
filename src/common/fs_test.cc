#include "common/fs.h"

#include <gtest/gtest.h>

#include "common/hash.h"

#include <cstdlib>
#include <filesystem>

namespace dicomlake {
namespace {

class FsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char templ[] = "/tmp/dicomlake-fs-XXXXXX";
    dir_ = ::mkdtemp(templ);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_;
};

TEST_F(FsTest, CreateFileExclusiveNeverOverwrites) {
  std::string p = fs::Join(dir_, "00000000000000000000.json");
  ASSERT_TRUE(fs::CreateFileExclusive(p, "first\n").ok());
  Status second = fs::CreateFileExclusive(p, "second\n");
  EXPECT_EQ(second.code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(*fs::ReadFile(p), "first\n");
  // No temporary files are left behind.
  EXPECT_EQ(fs::ListDir(dir_)->size(), 1u);
}

TEST_F(FsTest, WriteFileAtomicReplacesContent) {
  std::string p = fs::Join(dir_, "a.json");
  ASSERT_TRUE(fs::WriteFileAtomic(p, "1").ok());
  ASSERT_TRUE(fs::WriteFileAtomic(p, "2").ok());
  EXPECT_EQ(*fs::ReadFile(p), "2");
  EXPECT_EQ(fs::ListDir(dir_)->size(), 1u);
}

TEST_F(FsTest, MissingFilesAreNotFound) {
  EXPECT_EQ(fs::ReadFile(fs::Join(dir_, "nope")).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(fs::ListDir(fs::Join(dir_, "nope")).status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(fs::RemoveFile(fs::Join(dir_, "nope")).ok());
}

TEST_F(FsTest, JoinAndAbsolute) {
  EXPECT_EQ(fs::Join("a/", "/b"), "a/b");
  EXPECT_EQ(fs::Join("a", "b"), "a/b");
  EXPECT_EQ(fs::Absolute("/x/./y/../z/"), "/x/z");
}

}  // namespace
}  // namespace dicomlake

namespace dicomlake {
namespace {

// common/hash.h's file hash, here for its files.
TEST_F(FsTest, FileHashEqualsTheHashOfItsBytesAndNamesAMissingFile) {
  std::string data;
  for (int i = 0; i < (3 << 20) + 17; ++i) data.push_back(static_cast<char>(i * 31));
  ASSERT_TRUE(fs::WriteFileAtomic(dir_ + "/big", data).ok());
  int64_t bytes = 0;
  auto hash = Xxh3File(dir_ + "/big", &bytes);
  ASSERT_TRUE(hash.ok());
  EXPECT_EQ(*hash, Xxh3Hex(data));
  EXPECT_EQ(bytes, static_cast<int64_t>(data.size()));
  auto missing = Xxh3File(dir_ + "/gone", &bytes);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find(dir_ + "/gone"), std::string::npos);
}

}  // namespace
}  // namespace dicomlake
