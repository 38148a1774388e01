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

// A data set in Implicit VR Little Endian without preamble or file meta, built byte by byte so
// the tests do not depend on a DICOM writer: elements must be added in ascending tag order.
class ImplicitVrFile {
 public:
  ImplicitVrFile& Add(uint16_t group, uint16_t element, std::string value) {
    if (value.size() % 2 != 0) value.push_back(' ');
    Put16(group);
    Put16(element);
    Put32(static_cast<uint32_t>(value.size()));
    bytes_ += value;
    return *this;
  }
  ImplicitVrFile& AddUs(uint16_t group, uint16_t element, uint16_t v) {
    return Add(group, element, std::string{static_cast<char>(v & 0xFF), static_cast<char>(v >> 8)});
  }
  // A sequence of one item holding `item` (an ImplicitVrFile's bytes), with defined lengths.
  ImplicitVrFile& AddSequence(uint16_t group, uint16_t element, const ImplicitVrFile& item) {
    std::string it;
    ImplicitVrFile header;
    header.Put16(0xFFFE);
    header.Put16(0xE000);
    header.Put32(static_cast<uint32_t>(item.bytes_.size()));
    it = header.bytes_ + item.bytes_;
    Put16(group);
    Put16(element);
    Put32(static_cast<uint32_t>(it.size()));
    bytes_ += it;
    return *this;
  }
  std::string Write(testing::TestDir& dir, const std::string& name) const {
    std::string path = dir.Sub(name);
    EXPECT_TRUE(fs::WriteFileAtomic(path, bytes_).ok());
    return path;
  }

 private:
  void Put16(uint16_t v) {
    bytes_.push_back(static_cast<char>(v & 0xFF));
    bytes_.push_back(static_cast<char>(v >> 8));
  }
  void Put32(uint32_t v) {
    Put16(static_cast<uint16_t>(v & 0xFFFF));
    Put16(static_cast<uint16_t>(v >> 16));
  }
  std::string bytes_;
};

nlohmann::json ReadJson(const std::string& path, std::vector<std::string>* warnings = nullptr) {
  auto f = Read(path);
  EXPECT_TRUE(f.ok()) << f.status().ToString();
  if (!f.ok()) return {};
  if (warnings != nullptr) *warnings = f->warnings;
  return nlohmann::json::parse(ToDicomJson(f->meta, f->data));
}

bool AnyWarningHas(const std::vector<std::string>& warnings, const std::string& text) {
  for (const auto& w : warnings) {
    if (w.find(text) != std::string::npos) return true;
  }
  return false;
}

TEST(DcmtkReaderTest, PrivateAttributesOfImplicitVrGetTheirVrFromThePrivateDictionary) {
  testing::TestDir dir;
  std::string path = ImplicitVrFile()
                         .Add(0x0008, 0x0060, "MR")
                         .Add(0x0019, 0x0010, "SIEMENS MR HEADER")
                         .AddUs(0x0019, 0x100A, 12)  // US: NumberOfImagesInMosaic
                         .Add(0x0019, 0x100B, "40")  // DS: SliceMeasurementDuration
                         .Add(0x0019, 0x100C, std::string("1\\0", 3))  // IS: B_value, 2 values
                         .Add(0x0019, 0x1011, std::string("\x01\x02\x03\x04", 4))          // SH
                         .Add(0x0019, 0x1013, std::string("\x01\x02\x03\x04\x05\x06", 6))  // SL
                         .Write(dir, "siemens.dcm");
  std::vector<std::string> warnings;
  nlohmann::json j = ReadJson(path, &warnings);
  EXPECT_EQ(j["00190010"]["vr"], "LO");
  EXPECT_EQ(j["0019100B"]["vr"], "DS");
  EXPECT_EQ(j["0019100B"]["Value"][0], 40);
  EXPECT_EQ(j["0019100A"]["vr"], "US");
  EXPECT_EQ(j["0019100A"]["Value"][0], 12);
  EXPECT_EQ(j["0019100C"]["Value"], nlohmann::json::parse("[1, 0]"));
  // Values that do not parse under the dictionary's VR keep their bytes, with a warning.
  EXPECT_EQ(j["00191011"]["vr"], "UN");
  EXPECT_EQ(j["00191011"]["InlineBinary"], "AQIDBA==");
  EXPECT_EQ(j["00191013"]["vr"], "UN");
  EXPECT_EQ(j["00191013"]["InlineBinary"], "AQIDBAUG");
  EXPECT_TRUE(AnyWarningHas(warnings, "(0019,1011) does not hold SH text")) << warnings.size();
  EXPECT_TRUE(AnyWarningHas(warnings, "(0019,1013) 6 bytes are not a whole number of SL values"));
}

TEST(DcmtkReaderTest, TextInvalidInTheDeclaredSetIsReadAsLatin1WithAWarning) {
  testing::TestDir dir;
  // No Specific Character Set, Latin-1 bytes (a device that declared none).
  std::string undeclared = ImplicitVrFile()
                               .Add(0x0008, 0x0060, "MR")
                               .Add(0x0008, 0x1030,
                                    "IRM c\xe9r\xe9"
                                    "brale")
                               .Add(0x0010, 0x0010, "M\xfcller^J\xfcrgen")
                               .Write(dir, "undeclared.dcm");
  std::vector<std::string> warnings;
  nlohmann::json j = ReadJson(undeclared, &warnings);
  EXPECT_EQ(j["00081030"]["Value"][0], "IRM cérébrale");
  EXPECT_EQ(j["00100010"]["Value"][0]["Alphabetic"], "Müller^Jürgen");
  EXPECT_TRUE(AnyWarningHas(warnings,
                            "(0008,1030) read as ISO-IR 100 (Latin-1): non-ASCII text "
                            "and no Specific Character Set"));
  EXPECT_TRUE(AnyWarningHas(warnings, "(0010,0010) read as ISO-IR 100"));
  EXPECT_FALSE(j.contains("00080005"));  // the file's own (absent) value is kept

  // UTF-8 declared, one value in Latin-1: that value falls back, the others are UTF-8.
  std::string mixed = ImplicitVrFile()
                          .Add(0x0008, 0x0005, "ISO_IR 192")
                          .Add(0x0008, 0x1030,
                               "IRM c\xe9r\xe9"
                               "brale")
                          .Add(0x0010, 0x0010, "M\xc3\xbcller")
                          .Write(dir, "mixed.dcm");
  j = ReadJson(mixed, &warnings);
  EXPECT_EQ(j["00081030"]["Value"][0], "IRM cérébrale");
  EXPECT_EQ(j["00100010"]["Value"][0]["Alphabetic"], "Müller");
  EXPECT_EQ(j["00080005"]["Value"][0], "ISO_IR 192");
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("(0008,1030) read as ISO-IR 100 (Latin-1): text not valid in the "
                             "declared Specific Character Set ISO_IR 192"),
            std::string::npos)
      << warnings[0];

  // A misspelled defined term is corrected; nested items name their path.
  std::string nested =
      ImplicitVrFile()
          .Add(0x0008, 0x0005, "ISO_IR100")
          .AddSequence(0x0040, 0x0275, ImplicitVrFile().Add(0x0040, 0x0007, "T\xeate"))
          .Write(dir, "nested.dcm");
  j = ReadJson(nested, &warnings);
  EXPECT_EQ(j["00400275"]["Value"][0]["00400007"]["Value"][0], "Tête");
  EXPECT_TRUE(
      AnyWarningHas(warnings, "Specific Character Set \"ISO_IR100\" read as \"ISO_IR 100\""));
  std::string undeclared_nested =
      ImplicitVrFile()
          .Add(0x0008, 0x0060, "OT")
          .AddSequence(0x0040, 0x0275, ImplicitVrFile().Add(0x0040, 0x0007, "T\xeate"))
          .Write(dir, "undeclared_nested.dcm");
  j = ReadJson(undeclared_nested, &warnings);
  EXPECT_EQ(j["00400275"]["Value"][0]["00400007"]["Value"][0], "Tête");
  EXPECT_TRUE(AnyWarningHas(warnings, "(0040,0275)[0](0040,0007) read as ISO-IR 100"));
}

TEST(DcmtkReaderTest, ContextDependentVrsFollowPs35) {
  testing::TestDir dir;
  auto lut_item = [](uint16_t entries) {
    ImplicitVrFile item;
    item.Add(0x0028, 0x3002,
             std::string{static_cast<char>(entries & 0xFF), static_cast<char>(entries >> 8), 0, 0,
                         16, 0});
    item.Add(0x0028, 0x3006, std::string("\x05\x00\x06\x00", 4));
    return item;
  };
  std::string signed_path =
      ImplicitVrFile()
          .Add(0x0008, 0x0060, "OT")
          .AddUs(0x0028, 0x0100, 16)
          .AddUs(0x0028, 0x0103, 1)  // signed pixels
          .AddUs(0x0028, 0x0106, 0xFFFF)
          .AddUs(0x0028, 0x0120, 0x8000)
          .AddSequence(0x0028, 0x3000, lut_item(2))
          .AddSequence(0x0040, 0x9096, ImplicitVrFile().AddUs(0x0040, 0x9216, 0xFFFE))
          .Add(0x6000, 0x3000, std::string("\x01\x02", 2))
          .Add(0x7FE0, 0x0010, std::string("\x01\x00\x02\x00", 4))
          .Write(dir, "signed.dcm");
  nlohmann::json j = ReadJson(signed_path);
  EXPECT_EQ(j["00280106"]["vr"], "SS");
  EXPECT_EQ(j["00280106"]["Value"][0], -1);
  EXPECT_EQ(j["00280120"]["vr"], "SS");
  EXPECT_EQ(j["00280120"]["Value"][0], -32768);
  // Pixel Representation of the enclosing data set applies inside items.
  EXPECT_EQ(j["00409096"]["Value"][0]["00409216"]["vr"], "SS");
  EXPECT_EQ(j["00409096"]["Value"][0]["00409216"]["Value"][0], -2);
  EXPECT_EQ(j["00283000"]["Value"][0]["00283002"]["vr"], "SS");
  EXPECT_EQ(j["00283000"]["Value"][0]["00283006"]["vr"], "OW");  // a LUT of two entries
  EXPECT_EQ(j["60003000"]["vr"], "OW");
  EXPECT_EQ(j["7FE00010"]["vr"], "OW");

  std::string unsigned_path = ImplicitVrFile()
                                  .Add(0x0008, 0x0060, "OT")
                                  .AddUs(0x0028, 0x0100, 8)
                                  .AddUs(0x0028, 0x0103, 0)
                                  .AddUs(0x0028, 0x0106, 0xFFFF)
                                  .AddSequence(0x0028, 0x3000, lut_item(1))
                                  .Write(dir, "unsigned.dcm");
  j = ReadJson(unsigned_path);
  EXPECT_EQ(j["00280106"]["vr"], "US");
  EXPECT_EQ(j["00280106"]["Value"][0], 65535);
  EXPECT_EQ(j["00283000"]["Value"][0]["00283006"]["vr"], "US");  // a LUT of one entry
  EXPECT_EQ(j["00283000"]["Value"][0]["00283006"]["Value"], nlohmann::json::parse("[5, 6]"));
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
