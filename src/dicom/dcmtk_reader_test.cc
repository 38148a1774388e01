#include "dicom/dicom_reader.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "common/fs.h"
#include "common/large_stack.h"
#include "dicom/dicom_json.h"
#include "support/test_dir.h"

namespace dicomlake::dicom {
namespace {

const std::string kPydicomData = "/usr/lib/python3/dist-packages/pydicom/data/test_files";

Result<DicomFile> Read(const std::string& path) {
  Result<DicomFile> result = Internal("not run");
  Status st = RunOnLargeStack([&] { result = ReadDicomFile(path); });
  if (!st.ok()) return st;
  return result;
}

TEST(DcmtkReaderTest, ReadsPydicomsCtSmall) {
  std::string path = kPydicomData + "/CT_small.dcm";
  if (!fs::Exists(path)) GTEST_SKIP() << "python3-pydicom is not installed";
  auto f = Read(path);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ(f->data.FirstString(Tag(0x0008, 0x0060)), "CT");
  EXPECT_EQ(f->transfer_syntax_uid, "1.2.840.10008.1.2.1");
  EXPECT_EQ(f->meta.FirstString(Tag(0x0002, 0x0010)), "1.2.840.10008.1.2.1");
  auto j = nlohmann::json::parse(ToDicomJson(f->meta, f->data));
  EXPECT_EQ(j["00100010"]["Value"][0]["Alphabetic"], "CompressedSamples^CT1");
  EXPECT_EQ(j["00280010"]["Value"][0], 128);
  // 128 x 128 x 2 bytes of pixel data: not inlined, located in the file.
  ASSERT_TRUE(j["7FE00010"].contains("BulkDataURI"));
  const Element* pixels = f->data.Find(Tag(0x7FE0, 0x0010));
  ASSERT_NE(pixels, nullptr);
  ASSERT_TRUE(pixels->bulk.has_value());
  EXPECT_EQ(pixels->bulk->length, 128 * 128 * 2);
  // The value starts after the 12-byte explicit VR OW header of (7FE0,0010).
  std::string bytes = *fs::ReadFile(path);
  size_t header = bytes.find(std::string("\xE0\x7F\x10\x00OW", 6));
  ASSERT_NE(header, std::string::npos);
  EXPECT_EQ(pixels->bulk->offset, static_cast<int64_t>(header + 12));
}

TEST(DcmtkReaderTest, ConvertsCharacterSetsToUtf8) {
  // ISO_IR 100 (Latin-1) and ISO_IR 192 (UTF-8) samples of pydicom.
  std::string dir = "/usr/lib/python3/dist-packages/pydicom/data/charset_files/";
  if (!fs::Exists(dir + "chrX1.dcm")) GTEST_SKIP() << "python3-pydicom is not installed";
  auto latin1 = Read(dir + "chrGerm.dcm");
  ASSERT_TRUE(latin1.ok()) << latin1.status().ToString();
  EXPECT_TRUE(latin1->warnings.empty());
  auto g = nlohmann::json::parse(ToDicomJson(latin1->meta, latin1->data));
  EXPECT_EQ(g["00100010"]["Value"][0]["Alphabetic"], "Äneas^Rüdiger");
  auto utf8 = Read(dir + "chrX1.dcm");
  ASSERT_TRUE(utf8.ok()) << utf8.status().ToString();
  auto j = nlohmann::json::parse(ToDicomJson(utf8->meta, utf8->data));
  EXPECT_EQ(j["00100010"]["Value"][0]["Alphabetic"], "Wang^XiaoDong");
  EXPECT_EQ(j["00100010"]["Value"][0]["Ideographic"], "王^小東");
}

TEST(DcmtkReaderTest, NonDicomIsAnErrorWithAReason) {
  testing::TestDir dir;
  std::string path = dir.Sub("fake.dcm");
  ASSERT_TRUE(fs::WriteFileAtomic(path, std::string(300, 'x')).ok());
  auto f = Read(path);
  ASSERT_FALSE(f.ok());
  EXPECT_FALSE(f.status().message().empty());
  EXPECT_FALSE(LooksLikeDicom(std::string(300, 'x')));
  std::string head(132, '\0');
  head.replace(128, 4, "DICM");
  EXPECT_TRUE(LooksLikeDicom(head));
  EXPECT_TRUE(
      LooksLikeDicom(std::string("\x08\x00\x05\x00"
                                 "CS\x0a\x00",
                                 8)));
}

}  // namespace
}  // namespace dicomlake::dicom
