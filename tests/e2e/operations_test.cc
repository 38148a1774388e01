// Patch and delete (issue 15, scope 6): Fabric's operations recorded in bronze and carried
// through silver, FHIR and gold, from the CLI and from the operations folder; `delete --purge`
// erases. Invariants checked across the layers after each step; the FHIR written is valid
// against the official R4 schema.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "common/fs.h"
#include "support/lake_fixture.h"
#include "support/test_dir.h"

namespace dicomlake {
namespace {

using testing::LakeFixture;

// The first column of the first row (LakeFixture::Rows joins columns with '|').
std::string One(LakeFixture& f, const std::string& sql) {
  auto rows = f.Rows(sql);
  if (rows.empty()) return "";
  std::string r = rows[0];
  return r.substr(0, r.find('|'));
}

class OperationsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    f_ = std::make_unique<LakeFixture>(dir_.Sub("lake"));
    root_ = f_->lake_.root();
    ASSERT_EQ(f_->Cli("-q init " + root_), 0);
    ASSERT_EQ(f_->Cli("-q sample " + root_ + " --seed 5 --scale 0.05"), 0);
    ASSERT_EQ(f_->Cli("-q run " + root_), 3);  // the sample's one file that is not DICOM
  }
  std::string StudyWhere(const std::string& uid) {
    return " FROM silver.ImagingStudy WHERE identifier_string LIKE '%urn:oid:" + uid + "\"%'";
  }
  int64_t Count(const std::string& sql) { return f_->Count(sql); }

  // Every ImagingStudy NDJSON file of the lake against the FHIR R4 schema.
  void ExpectValidFhir() {
    std::string out;
    const std::string node = testing::SourceDir() + "/.deps/node";
    int rc = testing::RunCommand(
        "NODE_PATH=" + node + "/node_modules node " + testing::SourceDir() +
            "/tests/tools/validate_fhir.cjs $(find " + f_->lake_.FilesPath("bronze") +
            "/Process/Clinical/FHIR-NDJSON -name 'ImagingStudy-*.ndjson' | sort) 2>&1",
        &out);
    ASSERT_EQ(rc, 0) << out;
    auto report = nlohmann::json::parse(out);
    EXPECT_TRUE(report["invalid"].empty()) << report.dump(2);
  }

  testing::TestDir dir_;
  std::unique_ptr<LakeFixture> f_;
  std::string root_;
};

TEST_F(OperationsTest, DeleteAndPatchGoThroughEveryLayer) {
  LakeFixture& f = *f_;
  std::string out;
  // A study with two series.
  const std::string study =
      One(f,
          "SELECT studyInstanceUid FROM bronze.ImagingDicom GROUP BY 1 HAVING "
          "count(DISTINCT seriesInstanceUid) = 2 ORDER BY 1 LIMIT 1");
  ASSERT_FALSE(study.empty());
  const std::string series = One(f,
                                 "SELECT min(seriesInstanceUid) FROM bronze.ImagingDicom "
                                 "WHERE studyInstanceUid = '" +
                                     study + "'");
  const int64_t in_study = Count(
      "SELECT count(*) FROM bronze.ImagingDicom WHERE "
      "studyInstanceUid = '" +
      study + "'");
  const int64_t in_series = Count(
      "SELECT count(*) FROM bronze.ImagingDicom WHERE "
      "seriesInstanceUid = '" +
      series + "'");
  ASSERT_EQ(Count("SELECT numberOfInstances" + StudyWhere(study)), in_study);
  ASSERT_EQ(
      Count("SELECT count(*) FROM gold.image_occurrence WHERE image_study_uid = '" + study + "'"),
      2);
  const auto bronze_before = f.Rows(
      "SELECT * EXCLUDE (metadata_string) FROM "
      "bronze.ImagingDicom ORDER BY ALL");

  // Refusals: an unknown target, a tag that identifies the instance, no reason.
  EXPECT_EQ(f.Cli("delete " + root_ + " --study 9.9.9 --reason test", &out), 1);
  EXPECT_NE(out.find("no stored instance matches study 9.9.9"), std::string::npos) << out;
  EXPECT_NE(
      f.Cli("patch " + root_ + " --study " + study + " --set StudyInstanceUID=1.2 --reason test",
            &out),
      0);
  EXPECT_NE(out.find("cannot be patched"), std::string::npos) << out;
  EXPECT_EQ(f.Cli("delete " + root_ + " --study " + study, &out), 2);
  // A dry run changes nothing.
  auto versions = f.DataVersions();
  ASSERT_EQ(f.Cli("delete " + root_ + " --series " + series + " --reason x --dry-run", &out), 0);
  EXPECT_NE(out.find(std::to_string(in_series) + " instance(s) of 1 study(ies) would be"),
            std::string::npos)
      << out;
  EXPECT_EQ(f.DataVersions(), versions);

  // Delete one series.
  ASSERT_EQ(
      f.Cli("delete " + root_ + " --series " + series + " --reason 'wrong patient' --by dr.smith",
            &out),
      0)
      << out;
  EXPECT_EQ(Count("SELECT count(*) FROM bronze.ImagingDicom WHERE operation = 'soft-delete'"), 1);
  EXPECT_EQ(Count("SELECT count(*) FROM admin.BusinessEvents WHERE eventType = "
                  "'operation:soft-delete' AND message LIKE '%dr.smith: wrong patient' AND "
                  "json_extract_string(customDimensions, '$.who') = 'dr.smith'"),
            1);
  EXPECT_EQ(Count("SELECT count(*) FROM silver.ImagingMetastore WHERE msftIsDeleted"), in_series);
  EXPECT_EQ(Count("SELECT count(*) FROM silver.ImagingMetastore WHERE msftIsDeleted AND "
                  "seriesInstanceUid <> '" +
                  series + "'"),
            0);
  EXPECT_EQ(Count("SELECT numberOfInstances" + StudyWhere(study)), in_study - in_series);
  EXPECT_EQ(Count("SELECT numberOfSeries" + StudyWhere(study)), 1);
  EXPECT_EQ(Count("SELECT count(*) FROM (SELECT unnest(series) AS s" + StudyWhere(study) +
                  ") WHERE s.uid = '" + series + "'"),
            0);
  EXPECT_EQ(
      Count("SELECT count(*) FROM gold.image_occurrence WHERE image_series_uid = '" + series + "'"),
      0);
  EXPECT_EQ(
      Count("SELECT count(*) FROM gold.image_occurrence WHERE image_study_uid = '" + study + "'"),
      1);

  // Patch the study: silver, FHIR and gold see the new values; bronze and the originals not.
  ASSERT_EQ(f.Cli("patch " + root_ + " --study " + study +
                      " --set 'StudyDescription=Corrected CT' --set PatientSex=O --reason "
                      "'ticket 42'",
                  &out),
            0)
      << out;
  EXPECT_EQ(One(f, "SELECT description" + StudyWhere(study)), "Corrected CT");
  EXPECT_EQ(
      Count("SELECT count(*) FROM silver.ImagingMetastore WHERE studyInstanceUid = '" + study +
            "' AND json_extract_string(metadata_string, '$.\"00100040\".Value[0]') = 'O' "
            "AND json_extract_string(metadata_string, '$.\"00081030\".Value[0]') = "
            "'Corrected CT'"),
      in_study);
  EXPECT_EQ(f.Rows("SELECT * EXCLUDE (metadata_string) FROM bronze.ImagingDicom WHERE "
                   "operation IS NULL ORDER BY ALL"),
            bronze_before);
  ASSERT_EQ(f.Cli("verify " + root_, &out), 0) << out;
  // The exits leave the deleted series out; restore takes it when asked.
  ASSERT_EQ(f.Cli("restore " + root_ + " --study " + study + " --to " + dir_.Sub("r1"), &out), 0)
      << out;
  EXPECT_NE(out.find(std::to_string(in_study - in_series) + " of " +
                     std::to_string(in_study - in_series) + " instances restored"),
            std::string::npos)
      << out;
  ASSERT_EQ(
      f.Cli("restore " + root_ + " --study " + study + " --include-deleted --to " + dir_.Sub("r2"),
            &out),
      0)
      << out;
  EXPECT_NE(out.find(std::to_string(in_study) + " of " + std::to_string(in_study) +
                     " instances restored"),
            std::string::npos)
      << out;
  // Nothing left to do: a run changes no table.
  versions = f.DataVersions();
  ASSERT_EQ(f.Cli("-q run " + root_), 0);
  EXPECT_EQ(f.DataVersions(), versions);

  // Delete the rest with --purge: entered-in-error, nothing in gold, the originals erased.
  const auto originals = f.Rows(
      "SELECT DISTINCT filePath FROM bronze.ImagingDicom WHERE "
      "studyInstanceUid = '" +
      study + "' AND operation IS NULL");
  const int64_t procedures = Count("SELECT count(*) FROM gold.procedure_occurrence");
  ASSERT_EQ(f.Cli("delete " + root_ + " --study " + study + " --purge --reason 'consent withdrawn'",
                  &out),
            0)
      << out;
  EXPECT_NE(out.find("erased: " + std::to_string(in_study) + " instance version(s)"),
            std::string::npos)
      << out;
  EXPECT_EQ(One(f, "SELECT status" + StudyWhere(study)), "entered-in-error");
  EXPECT_EQ(Count("SELECT numberOfInstances" + StudyWhere(study)), 0);
  EXPECT_EQ(
      Count("SELECT count(*) FROM gold.image_occurrence WHERE image_study_uid = '" + study + "'"),
      0);
  EXPECT_EQ(Count("SELECT count(*) FROM gold.procedure_occurrence"), procedures - 1);
  EXPECT_EQ(Count("SELECT count(*) FROM silver.ImagingMetastore WHERE studyInstanceUid = '" +
                  study + "'"),
            0);
  EXPECT_EQ(Count("SELECT count(*) FROM bronze.ImagingDicom WHERE studyInstanceUid = '" + study +
                  "' AND operation IS NULL"),
            0);
  for (const auto& row : originals) {
    const std::string path = f.lake_.ResolvePath(row.substr(0, row.size() - 1));
    EXPECT_FALSE(fs::Exists(path)) << path;
  }
  ASSERT_EQ(f.Cli("verify " + root_, &out), 0) << out;
  EXPECT_NE(f.Cli("restore " + root_ + " --study " + study + " --to " + dir_.Sub("r"), &out), 0);
  ExpectValidFhir();
}

TEST_F(OperationsTest, TheOperationsFolderTakesFabricsFiles) {
  LakeFixture& f = *f_;
  std::string out;
  const auto row = f.Rows(
      "SELECT studyInstanceUid, seriesInstanceUid, sopInstanceUid FROM bronze.ImagingDicom WHERE "
      "sopInstanceUid IS NOT NULL ORDER BY 1, 3 LIMIT 1");
  ASSERT_EQ(row.size(), 1u);
  const std::string study = row[0].substr(0, row[0].find('|'));
  const std::string rest = row[0].substr(study.size() + 1);
  const std::string series = rest.substr(0, rest.find('|'));
  const std::string sop = rest.substr(series.size() + 1, rest.size() - series.size() - 2);
  const int64_t in_study = Count("SELECT numberOfInstances" + StudyWhere(study));
  const std::string ops = f.lake_.FilesPath("bronze") + "/Ingest/Imaging/OPERATIONS/sample";
  ASSERT_TRUE(fs::MakeDirs(ops + "/sub").ok());
  const std::string op_url = "http://healthcaredatasolutions.com/data-extensions/operation";
  const std::string good =
      "{\"resourceType\":\"ImagingStudy\",\"meta\":{\"lastUpdated\":\"2099-01-01T00:00:00Z\"},"
      "\"extension\":[{\"url\":\"" +
      op_url +
      "\",\"valueString\":\"soft-delete\"}],"
      "\"identifier\":[{\"system\":\"urn:dicom:uid\",\"value\":\"urn:oid:" +
      study +
      "\"}],"
      "\"series\":[{\"uid\":\"" +
      series + "\",\"instance\":[{\"uid\":\"" + sop +
      "\"}]}]}\n"
      "{\"extension\":[{\"url\":\"" +
      op_url + "\",\"valueString\":\"patch\"},{\"url\":\"" + op_url +
      "-dicomtags\",\"valueString\":\"{\\\"00081030\\\":{\\\"vr\\\":\\\"LO\\\","
      "\\\"Value\\\":[\\\"From the folder\\\"]}}\"}],\"identifier\":[{\"value\":\"" +
      study + "\"}]}\n";
  ASSERT_TRUE(fs::WriteFileAtomic(ops + "/sub/ops.ndjson", good).ok());
  // One bad line refuses the whole file.
  ASSERT_TRUE(fs::WriteFileAtomic(ops + "/bad.ndjson", good + "{\"extension\":[]}\n").ok());
  ASSERT_EQ(f.Cli("run " + root_, &out), 3) << out;
  EXPECT_NE(out.find("bad.ndjson: operations file refused"), std::string::npos) << out;
  EXPECT_NE(out.find("line 3: no operation"), std::string::npos) << out;
  EXPECT_EQ(Count("SELECT count(*) FROM bronze.ImagingDicom WHERE operation IS NOT NULL"), 2);
  EXPECT_EQ(Count("SELECT numberOfInstances" + StudyWhere(study)), in_study - 1);
  EXPECT_EQ(One(f, "SELECT description" + StudyWhere(study)), "From the folder");
  EXPECT_EQ(Count("SELECT count(*) FROM silver.ImagingMetastore WHERE msftIsDeleted AND "
                  "sopInstanceUid = '" +
                  sop + "'"),
            1);
  std::string listing;
  testing::RunCommand("cd " + f.lake_.FilesPath("bronze") +
                          " && find Ingest/Imaging/OPERATIONS Process/Imaging/OPERATIONS "
                          "Failed/Imaging/OPERATIONS -type f | sed 's|/[0-9/]*/|/DATE/|' | sort",
                      &listing);
  EXPECT_EQ(listing,
            "Failed/Imaging/OPERATIONS/sample/DATE/bad.ndjson\n"
            "Process/Imaging/OPERATIONS/sample/DATE/ops.ndjson\n");
  EXPECT_EQ(Count("SELECT count(*) FROM admin.BusinessEvents WHERE activityName = "
                  "'imaging_operations_patch_file_bronze_ingestion' AND severity = 'Error'"),
            1);
  // The same file dropped again records nothing more.
  ASSERT_TRUE(fs::WriteFileAtomic(ops + "/again.ndjson", good).ok());
  ASSERT_EQ(f.Cli("-q run " + root_), 0);
  EXPECT_EQ(Count("SELECT count(*) FROM bronze.ImagingDicom WHERE operation IS NOT NULL"), 2);
  ExpectValidFhir();
}

}  // namespace
}  // namespace dicomlake
