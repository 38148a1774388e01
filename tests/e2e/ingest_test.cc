// The bronze ingestion stage end to end, on real files (pydicom's test data) and archives built
// by Python's zipfile/tarfile: what lands in ImagingDicom, what moves where, what is recorded.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "bronze/imaging_dicom.h"
#include "common/fs.h"
#include "common/hash.h"
#include "config/config.h"
#include "dicom/dicom_json.h"
#include "dicom/dicom_reader.h"
#include "lake/engine.h"
#include "lake/lake.h"
#include "pipeline/admin_tables.h"
#include "pipeline/ingest_stage.h"
#include "support/lake_fixture.h"
#include "support/test_dir.h"

namespace dicomlake {
namespace {

const std::string kData = "/usr/lib/python3/dist-packages/pydicom/data/test_files/";

class IngestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::Exists(kData + "CT_small.dcm")) GTEST_SKIP() << "python3-pydicom is not installed";
    lake_ = std::make_unique<lake::Lake>(dir_.Sub("lake"));
    auto engine = lake::Engine::Open({2, ""});
    ASSERT_TRUE(engine.ok());
    engine_ = std::move(*engine);
    ASSERT_TRUE(pipeline::InitLake(*lake_, *engine_).ok());
    ingest_ = fs::Join(lake_->FilesPath("bronze"), "Ingest/Imaging/DICOM/HOSP");
    ASSERT_TRUE(fs::MakeDirs(ingest_).ok());
  }

  void Shell(const std::string& command) {
    std::string out;
    ASSERT_EQ(testing::RunCommand(command, &out, true), 0) << command << "\n" << out;
  }
  void Copy(const std::string& name, const std::string& dest) {
    ASSERT_TRUE(fs::MakeDirs(dest.substr(0, dest.rfind('/'))).ok());
    ASSERT_TRUE(fs::WriteFileAtomic(dest, *fs::ReadFile(kData + name)).ok());
  }
  pipeline::IngestSummary Ingest(pipeline::IngestOptions options = {}) {
    auto config = config::Config::Load(lake_->root(), {"ingest.max_files_per_trigger=3"});
    EXPECT_TRUE(config.ok());
    auto summary = pipeline::RunIngest(*lake_, *engine_, *config, options);
    EXPECT_TRUE(summary.ok()) << summary.status().ToString();
    return summary.ok() ? *summary : pipeline::IngestSummary{};
  }
  lake::QueryResult Sql(const std::string& sql) {
    return testing::QueryLake(*lake_, *engine_, sql);
  }
  int64_t Count(const std::string& sql) { return testing::CountLake(*lake_, *engine_, sql); }

  testing::TestDir dir_;
  std::unique_ptr<lake::Lake> lake_;
  std::unique_ptr<lake::Engine> engine_;
  std::string ingest_;
};

TEST_F(IngestTest, IngestPatternStoresOriginalsAndRecordsFailuresAsData) {
  Copy("CT_small.dcm", ingest_ + "/a/CT_small.dcm");
  Copy("MR_small.dcm", ingest_ + "/a/b/IMG0001");  // no .dcm name: recognised by content
  Copy("rtplan.dcm", ingest_ + "/rtplan.dcm");
  ASSERT_TRUE(fs::WriteFileAtomic(ingest_ + "/notes.dcm", "this is not DICOM").ok());
  // A ZIP with nested folders, a DICOMDIR and a zip-slip entry, and a TAR.GZ.
  Shell("cd " + kData +
        " && /usr/bin/python3 -c 'import zipfile,tarfile; "
        "z=zipfile.ZipFile(\"" +
        ingest_ +
        "/study.zip\",\"w\",zipfile.ZIP_DEFLATED); "
        "z.write(\"MR_small_implicit.dcm\",\"s/1/2/mr.dcm\"); "
        "z.write(\"dicomdirtests/DICOMDIR\",\"DICOMDIR\"); "
        "z.writestr(\"../../escape.dcm\",b\"x\"); z.close(); "
        "t=tarfile.open(\"" +
        ingest_ + "/dose.tar.gz\",\"w:gz\"); t.add(\"rtdose.dcm\",\"d/rtdose.dcm\"); t.close()'");

  pipeline::IngestSummary s = Ingest();
  EXPECT_EQ(s.files_seen, 6);
  EXPECT_EQ(s.instances_added, 5);
  EXPECT_EQ(s.failed, 2);  // notes.dcm and the zip-slip member
  EXPECT_EQ(s.directories_skipped, 1);
  EXPECT_EQ(s.batches, 2);
  EXPECT_EQ(Count("SELECT count(*) FROM bronze.ImagingDicom"), 5);
  EXPECT_EQ(
      Count("SELECT count(*) FROM bronze.ImagingDicom WHERE archiveMember = 's/1/2/mr.dcm' AND "
            "sourceSystem = 'HOSP' AND filePath LIKE '%/Process/Imaging/DICOM/HOSP/%/study.zip'"),
      1);
  EXPECT_EQ(
      Count("SELECT count(*) FROM bronze.ImagingDicom WHERE filePath LIKE '%/a/b/IMG0001.zip' AND "
            "modality = 'MR' AND archiveMember = 'IMG0001'"),
      1);
  // Nothing is left in Ingest; the failure moved to Failed; every stored copy exists.
  EXPECT_EQ(Count("SELECT count(*) FROM glob('" + ingest_ + "/**')"), 0);
  EXPECT_EQ(Count("SELECT count(*) FROM glob('" + lake_->FilesPath("bronze") +
                  "/Failed/Imaging/DICOM/HOSP/*/*/*/notes.dcm')"),
            1);
  for (const auto& row : Sql("SELECT DISTINCT filePath FROM bronze.ImagingDicom").rows) {
    EXPECT_TRUE(fs::Exists(lake_->ResolvePath(row[0].s))) << row[0].s;
  }
  EXPECT_FALSE(fs::Exists(dir_.Sub("escape.dcm")));
  // Failures are rows with reasons; the run has its summary row and every file a manifest row.
  EXPECT_EQ(Count("SELECT count(*) FROM admin.BusinessEvents WHERE message LIKE 'not DICOM%' AND "
                  "sourceFilePath LIKE '%notes.dcm' AND targetFilePath LIKE '%/Failed/%'"),
            1);
  EXPECT_EQ(
      Count(
          "SELECT count(*) FROM admin.BusinessEvents WHERE recordIdentifier = '../../escape.dcm'"),
      1);
  EXPECT_EQ(Count("SELECT count(*) FROM admin.ExecutionSummary WHERE numTargetRecords = 5 AND "
                  "activityAttributes['failedCount'] = '2'"),
            1);
  EXPECT_EQ(Count("SELECT count(*) FROM admin.FileManifest"), 6);
  // metadata_string is DICOM JSON that SQL can query.
  EXPECT_EQ(Count("SELECT count(*) FROM bronze.ImagingDicom WHERE "
                  "json_extract_string(metadata_string, '$.\"00080060\".Value[0]') = modality"),
            5);
}

TEST_F(IngestTest, ReRunsAndRenamedCopiesAddNothingAndChangedFilesAddAVersion) {
  Copy("CT_small.dcm", ingest_ + "/CT_small.dcm");
  Copy("MR_small.dcm", ingest_ + "/MR_small.dcm");
  EXPECT_EQ(Ingest().instances_added, 2);
  EXPECT_EQ(Ingest().instances_added, 0);  // nothing new
  Copy("CT_small.dcm", ingest_ + "/renamed/ct-again");
  Copy("MR_small.dcm", ingest_ + "/mr-again.dcm");
  pipeline::IngestSummary again = Ingest();
  EXPECT_EQ(again.instances_added, 0);
  EXPECT_EQ(again.duplicates_skipped, 2);
  EXPECT_EQ(again.failed, 0);
  EXPECT_FALSE(fs::Exists(ingest_ + "/mr-again.dcm"));
  // The same instance with changed content is a new version of it.
  Shell("/usr/bin/python3 -c 'import pydicom; d=pydicom.dcmread(\"" + kData +
        "CT_small.dcm\"); d.PatientName=\"Changed^Name\"; d.save_as(\"" + ingest_ +
        "/ct-changed.dcm\")'");
  EXPECT_EQ(Ingest().instances_added, 1);
  EXPECT_EQ(
      Count("SELECT count(DISTINCT contentHash) FROM bronze.ImagingDicom WHERE sopInstanceUid = "
            "'1.3.6.1.4.1.5962.1.1.1.1.1.20040119072730.12322'"),
      2);
  EXPECT_EQ(Count("SELECT count(*) FROM bronze.ImagingDicom WHERE patientName = 'Changed^Name'"),
            1);
}

// A lake whose bronze table was written before the frame index existed: the next ingest adds the
// column (a Delta ADD COLUMNS commit), old rows read NULL, and `dicomlake frames` says why it
// cannot read their frames while it reads the new ones.
TEST_F(IngestTest, AnOlderBronzeTableGainsTheFrameIndexColumn) {
  lake::DeltaTable bronze = lake_->OpenTable(lake::table::kImagingDicom);
  lake::Schema old_schema = bronze::ImagingDicomSchema();
  while (old_schema.fields.back().name != "frameIndex") old_schema.fields.pop_back();
  old_schema.fields.pop_back();
  ASSERT_TRUE(bronze.Create(*engine_, old_schema, "an older dicomlake").ok());
  auto file = dicom::ReadDicomFile(kData + "MR_small.dcm");
  ASSERT_TRUE(file.ok());
  bronze::FileFacts facts;
  facts.file_path = kData + "MR_small.dcm";
  facts.content_hash = "0123456789abcdef0123456789abcdef";
  facts.source_system = "HOSP";
  lake::Row row =
      bronze::MakeImagingDicomRow(file->data, dicom::ToDicomJson(file->meta, file->data),
                                  file->transfer_syntax_uid, {}, facts, {});
  row.resize(old_schema.fields.size());
  ASSERT_TRUE(bronze.AppendRows(*engine_, {row}).ok());

  Copy("CT_small.dcm", ingest_ + "/CT_small.dcm");
  EXPECT_EQ(Ingest().instances_added, 1);
  auto snapshot = bronze.Load(*engine_);
  ASSERT_TRUE(snapshot.ok());
  EXPECT_EQ(snapshot->schema, bronze::ImagingDicomSchema());
  EXPECT_EQ(bronze.History()->back().operation, "CREATE TABLE");
  EXPECT_EQ(Count("SELECT count(*) FROM bronze.ImagingDicom WHERE frameIndex IS NULL"), 1);
  EXPECT_EQ(Count("SELECT len(frameIndex) FROM bronze.ImagingDicom WHERE frameIndex IS NOT NULL"),
            1);
  testing::LakeFixture cli(lake_->root());
  std::string out;
  EXPECT_EQ(cli.Cli("frames " + lake_->root() + " --sop " + file->data.FirstString(0x00080018) +
                        " --to " + dir_.Sub("old"),
                    &out),
            3)
      << out;
  EXPECT_NE(out.find("has no frame index"), std::string::npos) << out;
  EXPECT_EQ(
      cli.Cli("frames " + lake_->root() +
                  " --sop 1.3.6.1.4.1.5962.1.1.1.1.1.20040119072730.12322 --to " + dir_.Sub("new"),
              &out),
      0)
      << out;
  EXPECT_TRUE(
      fs::Exists(fs::Join(dir_.Sub("new"), "1.3.6.1.4.1.5962.1.1.1.1.1.20040119072730.12322.npy")));
}

// One instance, one identity however it arrives (issue 16): a copy whose file meta group a
// receiver rebuilt (DCMTK's dcmconv writes its own; the data set stays as it was) is the same
// instance; rows written before datasetHash existed are still matched by the whole file's hash.
TEST_F(IngestTest, AnInstanceWithARebuiltFileMetaGroupIsTheSameInstance) {
  Copy("rtplan.dcm", ingest_ + "/rtplan.dcm");
  EXPECT_EQ(Ingest().instances_added, 1);
  Shell("mkdir -p " + ingest_ + "/received && dcmconv " + kData + "rtplan.dcm " + ingest_ +
        "/received/rtplan.dcm && ! cmp -s " + kData + "rtplan.dcm " + ingest_ +
        "/received/rtplan.dcm");
  pipeline::IngestSummary again = Ingest();
  EXPECT_EQ(again.instances_added, 0);
  EXPECT_EQ(again.duplicates_skipped, 1);
  EXPECT_EQ(Count("SELECT count(*) FROM bronze.ImagingDicom WHERE datasetHash IS NOT NULL AND "
                  "datasetHash <> contentHash"),
            1);
  // A row of an older dicomlake (no datasetHash): the identical file is recognised by its hash.
  lake::DeltaTable bronze = lake_->OpenTable(lake::table::kImagingDicom);
  auto file = dicom::ReadDicomFile(kData + "MR_small.dcm");
  ASSERT_TRUE(file.ok());
  bronze::FileFacts facts;
  facts.file_path = kData + "MR_small.dcm";
  int64_t bytes = 0;
  facts.content_hash = *Xxh3File(kData + "MR_small.dcm", &bytes);
  facts.source_system = "HOSP";
  ASSERT_TRUE(bronze
                  .AppendRows(*engine_, {bronze::MakeImagingDicomRow(
                                            file->data, dicom::ToDicomJson(file->meta, file->data),
                                            file->transfer_syntax_uid, {}, facts, {})})
                  .ok());
  Copy("MR_small.dcm", ingest_ + "/MR_small.dcm");
  again = Ingest();
  EXPECT_EQ(again.instances_added, 0);
  EXPECT_EQ(again.duplicates_skipped, 1);
  // Two copies in one batch under different meta groups: one row.
  Shell("dcmconv " + kData + "CT_small.dcm " + ingest_ + "/ct-a.dcm && cp " + kData +
        "CT_small.dcm " + ingest_ + "/ct-b.dcm");
  again = Ingest();
  EXPECT_EQ(again.instances_added, 1);
  EXPECT_EQ(again.duplicates_skipped, 1);
}

TEST_F(IngestTest, ByosReadsInPlaceAndOnlyNewOrChangedFiles) {
  std::string external = dir_.Sub("pacs-export");
  Copy("CT_small.dcm", external + "/SITE1/ct.dcm");
  Copy("MR_small.dcm", external + "/SITE1/deep/mr");
  Copy("rtplan.dcm", external + "/SITE2/plan.dcm");
  pipeline::IngestOptions byos;
  byos.pattern = pipeline::IngestPattern::kByos;
  byos.source_dir = external;
  pipeline::IngestSummary first = Ingest(byos);
  EXPECT_EQ(first.instances_added, 3);
  EXPECT_TRUE(fs::Exists(external + "/SITE1/ct.dcm"));  // never moved
  EXPECT_EQ(Count("SELECT count(*) FROM bronze.ImagingDicom WHERE filePath = '" + external +
                  "/SITE1/deep/mr' AND archiveMember IS NULL AND sourceSystem = 'SITE1'"),
            1);
  EXPECT_EQ(Count("SELECT count(*) FROM glob('" + lake_->FilesPath("bronze") + "/Process/**')"), 0);
  pipeline::IngestSummary second = Ingest(byos);
  EXPECT_EQ(second.files_unchanged, 3);
  EXPECT_EQ(second.instances_read, 0);
  // Only SITE2, and a changed file there.
  Shell("/usr/bin/python3 -c 'import pydicom; d=pydicom.dcmread(\"" + kData +
        "rtplan.dcm\"); d.PatientID=\"X9\"; d.save_as(\"" + external + "/SITE2/plan.dcm\")'");
  byos.only_namespace = "SITE2";
  pipeline::IngestSummary third = Ingest(byos);
  EXPECT_EQ(third.files_seen, 1);
  EXPECT_EQ(third.instances_added, 1);
}

TEST_F(IngestTest, InventoryListingsNameTheFilesAndOnlyNewerRowsAreRead) {
  std::string external = fs::Join(lake_->FilesPath("bronze"), "External/Imaging/DICOM");
  Copy("CT_small.dcm", external + "/SITE/a/ct.dcm");
  Copy("MR_small.dcm", external + "/SITE/b/mr");
  std::string listings =
      fs::Join(lake_->FilesPath("bronze"), "Inventory/Imaging/DICOM/SITE/InventoryFiles");
  // Azure blob inventory columns, with a folder row and a file that is not there.
  ASSERT_TRUE(fs::MakeDirs(listings + "/2024/05/06").ok());
  ASSERT_TRUE(fs::WriteFileAtomic(listings + "/2024/05/06/inventory.csv",
                                  "Name,Last-Modified,hdi_isfolder,Content-Length\n"
                                  "SITE/a,2024-05-06T07:00:00.0000000Z,true,0\n"
                                  "SITE/a/ct.dcm,2024-05-06T07:08:09.1234567Z,false,39206\n"
                                  "SITE/b/mr,\"Mon, 06 May 2024 07:10:00 GMT\",false,9844\n"
                                  "SITE/gone.dcm,2024-05-06T07:11:00Z,false,1\n")
                  .ok());
  pipeline::IngestOptions inventory;
  inventory.pattern = pipeline::IngestPattern::kInventory;
  pipeline::IngestSummary first = Ingest(inventory);
  EXPECT_EQ(first.instances_added, 2);
  EXPECT_EQ(first.failed, 1);
  EXPECT_EQ(Count("SELECT count(*) FROM bronze.ImagingDicom WHERE inventoryFilePath LIKE "
                  "'%inventory.csv' AND "
                  "sourceSystem = 'SITE' AND filePath LIKE '%/External/Imaging/DICOM/SITE/%'"),
            2);
  EXPECT_EQ(Count("SELECT count(*) FROM bronze.ImagingDicom WHERE sourceModifiedAt = "
                  "TIMESTAMPTZ '2024-05-06 07:10:00+00'"),
            1);
  EXPECT_TRUE(fs::Exists(external + "/SITE/a/ct.dcm"));  // read in place
  // Nothing newer: nothing read. A newer row in a generic Parquet listing: read.
  EXPECT_EQ(Ingest(inventory).instances_read, 0);
  Copy("rtplan.dcm", external + "/SITE/c/plan.dcm");
  ASSERT_TRUE(engine_
                  ->Execute("COPY (SELECT '" + external +
                            "/SITE/c/plan.dcm' AS filePath, "
                            "TIMESTAMPTZ '2024-06-01 00:00:00+00' AS sourceModifiedAt) TO '" +
                            listings + "/generic.parquet' (FORMAT PARQUET)")
                  .ok());
  pipeline::IngestSummary third = Ingest(inventory);
  EXPECT_EQ(third.instances_added, 1);
  EXPECT_EQ(Count("SELECT count(*) FROM bronze.ImagingDicom WHERE modality = 'RTPLAN'"), 1);
}

TEST_F(IngestTest, ZipBombIsRefusedWhole) {
  Shell("/usr/bin/python3 -c 'import zipfile; z=zipfile.ZipFile(\"" + ingest_ +
        "/bomb.zip\",\"w\",zipfile.ZIP_DEFLATED); z.writestr(\"a.dcm\",bytes(200*1024*1024)); "
        "z.close()'");
  pipeline::IngestSummary s = Ingest();
  EXPECT_EQ(s.failed, 1);
  EXPECT_EQ(s.instances_added, 0);
  EXPECT_EQ(Count("SELECT count(*) FROM admin.BusinessEvents WHERE message LIKE '%zip bomb%'"), 1);
  EXPECT_FALSE(fs::Exists(ingest_ + "/bomb.zip"));
  EXPECT_EQ(
      Count("SELECT count(*) FROM glob('" + lake_->FilesPath("bronze") + "/Failed/**/bomb.zip')"),
      1);
}

}  // namespace
}  // namespace dicomlake
