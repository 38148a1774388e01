#include "net/spool.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>

#include "common/fs.h"
#include "support/test_dir.h"

namespace dicomlake::net {
namespace {

namespace stdfs = std::filesystem;

TEST(SpoolTest, CommitNeverReplacesAFileOfTheSameInstance) {
  testing::TestDir dir;
  const std::string folder = SpoolFolder(dir.Sub("spool"), "SENDER AE/1");
  ASSERT_TRUE(fs::MakeDirs(folder).ok());
  std::vector<std::string> names;
  for (const char* body : {"first", "second"}) {
    const std::string temp = SpoolTempPath(folder);
    ASSERT_TRUE(fs::WriteFileAtomic(temp, body).ok());
    auto final_path = CommitSpoolFile(temp, folder, "1.2.3");
    ASSERT_TRUE(final_path.ok()) << final_path.status().message();
    EXPECT_FALSE(fs::Exists(temp));
    names.push_back(*final_path);
  }
  EXPECT_EQ(stdfs::path(names[0]).filename(), "1.2.3.dcm");
  EXPECT_EQ(stdfs::path(names[1]).filename(), "1.2.3.1.dcm");
  EXPECT_EQ(*fs::ReadFile(names[0]), "first");
  EXPECT_EQ(*fs::ReadFile(names[1]), "second");
  EXPECT_NE(folder.find("/SENDER_AE_1/"), std::string::npos) << folder;
}

TEST(SpoolTest, OnlyOldPartialFilesAreRemoved) {
  testing::TestDir dir;
  const std::string folder = SpoolFolder(dir.Sub("spool"), "A");
  ASSERT_TRUE(fs::MakeDirs(folder).ok());
  const std::string old_part = SpoolTempPath(folder), new_part = SpoolTempPath(folder);
  const std::string kept = folder + "/1.2.3.dcm";
  for (const auto& p : {old_part, new_part, kept}) ASSERT_TRUE(fs::WriteFileAtomic(p, "x").ok());
  const auto two_hours_ago = stdfs::file_time_type::clock::now() - std::chrono::hours(2);
  stdfs::last_write_time(old_part, two_hours_ago);
  stdfs::last_write_time(kept, two_hours_ago);
  EXPECT_EQ(RemoveStaleParts(dir.Sub("spool"), 3600), 1);
  EXPECT_FALSE(fs::Exists(old_part));
  EXPECT_TRUE(fs::Exists(new_part));
  EXPECT_TRUE(fs::Exists(kept));
  EXPECT_EQ(RemoveStaleParts(dir.Sub("nowhere"), 0), 0);
}

}  // namespace
}  // namespace dicomlake::net
