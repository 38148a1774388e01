#include "bronze/imaging_dicom.h"

#include <gtest/gtest.h>

#include "common/time_util.h"

namespace dicomlake::bronze {
namespace {

using dicom::Tag;

dicom::Element Text(uint32_t tag, const char* vr, std::vector<std::optional<std::string>> values) {
  dicom::Element e;
  e.tag = tag;
  e.vr = vr;
  e.strings = std::move(values);
  return e;
}

TEST(ImagingDicomTest, PromotesTypedValuesAndWarnsAboutBadOnes) {
  dicom::Dataset d;
  d.elements = {Text(Tag(0x0008, 0x0020), "DA", {"20240115"}),
                Text(Tag(0x0008, 0x0021), "DA", {"2024-01"}),
                Text(Tag(0x0008, 0x0030), "TM", {"101500"}),
                Text(Tag(0x0008, 0x0060), "CS", {"CT"}),
                Text(Tag(0x0008, 0x0061), "CS", {"CT", "PT"}),
                Text(Tag(0x0010, 0x0010), "PN", {"Doe^Jane=ドウ"}),
                Text(Tag(0x0020, 0x000D), "UI", {"1.2.3"}),
                Text(Tag(0x0020, 0x0013), "IS", {"7"})};
  std::vector<std::string> warnings;
  auto p = PromoteTags(d, &warnings);
  lake::Schema schema = ImagingDicomSchema();
  auto col = [&](const char* name) { return p.values[static_cast<size_t>(schema.IndexOf(name))]; };
  EXPECT_EQ(col("studyInstanceUid"), lake::Value::String("1.2.3"));
  EXPECT_EQ(col("studyDate").ToDisplay(), "2024-01-15");
  EXPECT_TRUE(col("seriesDate").is_null());
  EXPECT_EQ(col("studyTime"), lake::Value::String("10:15:00.000000"));
  EXPECT_EQ(col("patientName"), lake::Value::String("Doe^Jane"));
  EXPECT_EQ(col("modalitiesInStudy").ToJson(), R"(["CT","PT"])");
  EXPECT_EQ(col("instanceNumber"), lake::Value::Int(7));
  // A bad date, and the two missing UIDs.
  ASSERT_EQ(warnings.size(), 3u);
  EXPECT_NE(warnings[0].find("SeriesInstanceUID"), std::string::npos);
  EXPECT_NE(warnings[1].find("SOPInstanceUID"), std::string::npos);
  EXPECT_NE(warnings[2].find("SeriesDate (0008,0021) \"2024-01\" is not a valid date"),
            std::string::npos);
}

TEST(ImagingDicomTest, SchemaHasTheContractColumns) {
  lake::Schema s = ImagingDicomSchema();
  ASSERT_TRUE(s.Validate().ok());
  EXPECT_EQ(s.fields[0].name, "studyInstanceUid");
  EXPECT_EQ(s.fields[2].name, "sopInstanceUid");
  for (const char* c :
       {"metadata_string", "filePath", "sourceFilePath", "archiveMember", "sourceModifiedAt",
        "sourceSystem", "fileSize", "contentHash", "transferSyntaxUid", "parseWarnings", "runId",
        "createdDatetime", "operation", "frameIndex", "datasetHash"}) {
    EXPECT_GE(s.IndexOf(c), 0) << c;
  }
  EXPECT_EQ(s.fields.size(), 29u + 16u);
  EXPECT_EQ(s.fields.back().name, "datasetHash");  // added last: older tables widen to it
}

}  // namespace
}  // namespace dicomlake::bronze
