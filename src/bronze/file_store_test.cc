#include "bronze/file_store.h"

#include <gtest/gtest.h>

#include <string>

#include "common/fs.h"
#include "support/test_dir.h"

namespace dicomlake::bronze {
namespace {

// Python's zipfile (an independent reader) checks the CRC of every entry and prints the entry's
// name, method, sizes and a hash of its bytes.
std::string PythonZipInfo(const std::string& zip) {
  std::string out;
  int rc = testing::RunCommand(
      "/usr/bin/python3 -c 'import zipfile,hashlib,sys; z=zipfile.ZipFile(sys.argv[1]); "
      "assert z.testzip() is None; "
      "[print(i.filename, i.compress_type, i.file_size, i.date_time[0], "
      "hashlib.sha256(z.read(i)).hexdigest()) for i in z.infolist()]' " +
          zip,
      &out, true);
  EXPECT_EQ(rc, 0) << out;
  return out;
}

std::string Sha256Hex(const std::string& path) {
  std::string out;
  testing::RunCommand("sha256sum " + path + " | cut -c1-64", &out, false);
  return out.substr(0, 64);
}

TEST(FileStoreTest, SingleEntryZipReadsBackWithPythonZipfile) {
  testing::TestDir dir;
  // Image-like bytes (a smooth ramp with a little noise) compress; the test checks both the
  // deflated and the stored forms and an empty file.
  std::string data;
  uint32_t state = 12345;
  for (int i = 0; i < 300000; ++i) {
    state = state * 1103515245u + 12345u;
    data.push_back(static_cast<char>((i / 700) % 256 + ((state >> 16) & 3)));
  }
  ASSERT_TRUE(fs::MakeDirs(dir.Sub("in")).ok());
  ASSERT_TRUE(fs::WriteFileAtomic(dir.Sub("in/image.dcm"), data).ok());
  ASSERT_TRUE(fs::WriteFileAtomic(dir.Sub("in/empty.dcm"), "").ok());
  std::string want = Sha256Hex(dir.Sub("in/image.dcm"));

  for (int level : {0, 1, 6, 9}) {
    std::string zip = dir.Sub("out/l" + std::to_string(level) + "/image.dcm.zip");
    ASSERT_TRUE(WriteSingleEntryZip(dir.Sub("in/image.dcm"), "image.dcm", zip, level).ok());
    std::string info = PythonZipInfo(zip);
    std::string method = level == 0 ? " 0 " : " 8 ";
    EXPECT_EQ(info.substr(0, info.find(' ', 10) + 1), "image.dcm" + method) << info;
    EXPECT_NE(info.find(" 300000 "), std::string::npos) << info;
    EXPECT_NE(info.find(want), std::string::npos) << info;
    if (level > 0) {
      EXPECT_LT(fs::Stat(zip)->size, 300000 / 2) << "level " << level;
    }
  }
  std::string empty_zip = dir.Sub("out/empty.dcm.zip");
  ASSERT_TRUE(WriteSingleEntryZip(dir.Sub("in/empty.dcm"), "empty.dcm", empty_zip, 6).ok());
  EXPECT_EQ(PythonZipInfo(empty_zip).substr(0, 14), "empty.dcm 0 0 ");
  // Nothing but the copies is left behind: no temporary files.
  std::string listing;
  testing::RunCommand("find " + dir.Sub("out") + " -name '.*'", &listing, false);
  EXPECT_EQ(listing, "");
}

TEST(FileStoreTest, NonAsciiEntryNamesAreUtf8) {
  testing::TestDir dir;
  ASSERT_TRUE(fs::MakeDirs(dir.Sub("in")).ok());
  ASSERT_TRUE(fs::WriteFileAtomic(dir.Sub("in/x"), "abc").ok());
  std::string zip = dir.Sub("out/x.zip");
  ASSERT_TRUE(WriteSingleEntryZip(dir.Sub("in/x"), "Müller-レントゲン.dcm", zip, 6).ok());
  EXPECT_EQ(PythonZipInfo(zip).substr(0, std::string("Müller-レントゲン.dcm").size()),
            "Müller-レントゲン.dcm");
}

TEST(FileStoreTest, MissingSourceIsAnErrorNamingIt) {
  testing::TestDir dir;
  auto st = WriteSingleEntryZip(dir.Sub("nope.dcm"), "nope.dcm", dir.Sub("out/n.zip"), 6);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("nope.dcm"), std::string::npos) << st.message();
}

}  // namespace
}  // namespace dicomlake::bronze
