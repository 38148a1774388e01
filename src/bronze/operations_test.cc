#include "bronze/operations.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "bronze/imaging_dicom.h"

namespace dicomlake::bronze {
namespace {

using json = nlohmann::json;

std::string Stub(const std::string& operation, const std::string& extra) {
  return R"({"resourceType":"ImagingStudy","extension":[{"url":")" +
         std::string(kOperationExtensionUrl) + R"(","valueString":")" + operation + "\"}" + extra;
}

TEST(OperationsTest, ParsesFabricsOperationStubs) {
  auto del = ParseOperationLine(
      Stub("soft-delete", R"(],"identifier":[{"system":"urn:dicom:uid","value":"urn:oid:1.2.3"}],)"
                          R"("series":[{"uid":"1.2.3.4","instance":[{"uid":"1.2.3.4.5"}]}],)"
                          R"("meta":{"lastUpdated":"2026-01-02T03:04:05Z"}})"),
      "ns1", 7);
  ASSERT_TRUE(del.ok()) << del.status().ToString();
  EXPECT_EQ(del->operation, kSoftDelete);
  EXPECT_EQ(del->namespace_name, "ns1");
  EXPECT_EQ(del->study_uid, "1.2.3");
  EXPECT_EQ(del->series_uid, "1.2.3.4");
  EXPECT_EQ(del->sop_uid, "1.2.3.4.5");
  EXPECT_EQ(del->modified_us, 1767323045LL * 1000000);

  std::string tags = R"({\"00100040\":{\"vr\":\"CS\",\"Value\":[\"F\"]}})";
  auto patch = ParseOperationLine(
      Stub("patch", R"(,{"url":")" + std::string(kOperationTagsExtensionUrl) +
                        R"(","valueString":")" + tags + R"("}],"identifier":[{"value":"1.2.3"}]})"),
      "ns1", 7);
  ASSERT_TRUE(patch.ok()) << patch.status().ToString();
  EXPECT_EQ(patch->operation, kPatch);
  EXPECT_EQ(patch->series_uid, "");
  EXPECT_EQ(patch->modified_us, 7);  // no meta.lastUpdated: the default
  EXPECT_EQ(json::parse(patch->tags_json)["00100040"]["Value"][0], "F");
}

TEST(OperationsTest, RefusesStubsItCannotCarryOut) {
  const std::pair<std::string, std::string> cases[] = {
      {"not json", "not a JSON object"},
      {R"({"identifier":[{"value":"1.2"}]})", "no operation"},
      {Stub("move", R"(],"identifier":[{"value":"1.2"}]})"), "not supported"},
      {Stub("soft-delete", "]}"), "identifier[0].value"},
      {Stub("patch", R"(],"identifier":[{"value":"1.2"}]})"), "without its attributes"},
      {Stub("soft-delete",
            R"(],"identifier":[{"value":"1.2"}],"series":[{"instance":[{"uid":"9"}]}]})"),
       "without its series"},
      {Stub("soft-delete", R"(],"identifier":[{"value":"1.2"}],"meta":{"lastUpdated":"soon"}})"),
       "not a date-time"},
  };
  for (const auto& [line, reason] : cases) {
    auto r = ParseOperationLine(line, "ns", 0);
    ASSERT_FALSE(r.ok()) << line;
    EXPECT_NE(r.status().message().find(reason), std::string::npos) << r.status().ToString();
  }
}

TEST(OperationsTest, PatchesReplaceWholeAttributesInOrder) {
  std::string ds =
      R"({"00100010":{"vr":"PN","Value":[{"Alphabetic":"Doe^John"}]},"00100040":{"vr":"CS","Value":["M"]}})";
  auto out =
      ApplyTagPatches(ds, {R"({"00100040":{"vr":"CS","Value":["O"]}})",
                           R"({"00100040":{"vr":"CS","Value":["F"]},"00081030":{"vr":"LO"}})"});
  ASSERT_TRUE(out.ok());
  json j = json::parse(*out);
  EXPECT_EQ(j["00100040"]["Value"][0], "F");
  EXPECT_EQ(j["00100010"]["Value"][0]["Alphabetic"], "Doe^John");
  EXPECT_FALSE(j["00081030"].contains("Value"));
  EXPECT_EQ(*ApplyTagPatches(ds, {}), ds);
}

TEST(OperationsTest, AssignmentsBecomeDicomJsonByDictionaryVr) {
  auto patch = TagPatchFromAssignments({"PatientName=Roe^Jane", "PatientSex=F", "SeriesNumber=7",
                                        "PatientWeight=71.5", "ImageType=ORIGINAL\\PRIMARY",
                                        "(0008,1030)=Chest CT", "AccessionNumber="});
  ASSERT_TRUE(patch.ok()) << patch.status().ToString();
  json j = json::parse(*patch);
  EXPECT_EQ(j["00100010"], json::parse(R"({"vr":"PN","Value":[{"Alphabetic":"Roe^Jane"}]})"));
  EXPECT_EQ(j["00100040"]["Value"][0], "F");
  EXPECT_EQ(j["00200011"]["Value"][0], 7);
  EXPECT_EQ(j["00101030"]["Value"][0], 71.5);
  EXPECT_EQ(j["00080008"]["Value"].size(), 2u);
  EXPECT_EQ(j["00081030"]["vr"], "LO");
  EXPECT_EQ(j["00080050"], json::parse(R"({"vr":"SH"})"));

  for (const char* bad :
       {"StudyInstanceUID=1.2", "PixelData=x", "NoSuchKeyword=1", "SeriesNumber=seven",
        "ReferencedSeriesSequence=x", "PatientSex", "(0009,0010)=x", "TransferSyntaxUID=1.2"}) {
    EXPECT_FALSE(TagPatchFromAssignments({bad}).ok()) << bad;
  }
}

TEST(OperationsTest, AnOperationRowHasTheTargetAndNothingOfAnInstance) {
  Operation op;
  op.operation = kPatch;
  op.namespace_name = "ns";
  op.study_uid = "1.2";
  op.tags_json = R"({"00100040":{"vr":"CS","Value":["F"]}})";
  op.modified_us = 5;
  lake::Row row = MakeOperationRow(op, "run", 9);
  lake::Schema schema = ImagingDicomSchema();
  ASSERT_EQ(row.size(), schema.fields.size());
  EXPECT_EQ(row[schema.IndexOf("operation")].s, "patch");
  EXPECT_EQ(row[schema.IndexOf("studyInstanceUid")].s, "1.2");
  EXPECT_TRUE(row[schema.IndexOf("seriesInstanceUid")].is_null());
  EXPECT_TRUE(row[schema.IndexOf("filePath")].is_null());
  EXPECT_EQ(row[schema.IndexOf("createdDatetime")].i, 9);
}

}  // namespace
}  // namespace dicomlake::bronze
