// A relocatable lake (issue 15, scope 3). Paths under the lake are stored relative to its root,
// so a lake copied elsewhere (and the original deleted) works unchanged: the same answers, fixity
// verified, originals restored bit-exact, nothing read again, identical files still recognised,
// new data added, and a research lake made from it. A lake written by dicomlake 0.1 (absolute
// paths; a real one, kept in tests/data) moved elsewhere is brought over by `dicomlake migrate`.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "common/fs.h"
#include "support/lake_fixture.h"
#include "support/test_dir.h"

namespace dicomlake {
namespace {

using testing::LakeFixture;

// The tables whose cells must not hold the lake's root: every table but the two logs
// (BusinessEvents, ExecutionSummary), which record paths as they were when things happened.
std::vector<std::string> TablesWithData(LakeFixture& f) {
  std::vector<std::string> out;
  for (const auto& row : f.Rows("SELECT table_schema || '.' || table_name FROM "
                                "information_schema.tables WHERE table_schema IN ('bronze', "
                                "'silver', 'gold', 'admin') ORDER BY 1")) {
    std::string name = row.substr(0, row.size() - 1);
    if (name != "admin.BusinessEvents" && name != "admin.ExecutionSummary") out.push_back(name);
  }
  return out;
}

// Rows of any table (but the logs) with `text` in some column.
int64_t CellsHolding(LakeFixture& f, const std::string& text) {
  int64_t n = 0;
  for (const auto& t : TablesWithData(f)) {
    n += f.Count("SELECT count(*) FROM " + t + " x WHERE contains(to_json(x)::VARCHAR, '" + text +
                 "')");
  }
  return n;
}

// What the lake answers: every instance with its stored paths and hash, the metastore, the
// FHIR and OMOP rows (lineage timestamps left out).
std::vector<std::string> Answers(LakeFixture& f) {
  std::vector<std::string> out;
  for (const char* sql :
       {"SELECT sopInstanceUid, filePath, coalesce(archiveMember, ''), sourceFilePath, "
        "contentHash, md5(metadata_string) FROM bronze.ImagingDicom ORDER BY ALL",
        "SELECT sopInstanceUid, filePath, md5(metadata_string) FROM silver.ImagingMetastore "
        "ORDER BY ALL",
        "SELECT id, msftFilePath, md5(series_string) FROM silver.ImagingStudy ORDER BY ALL",
        "SELECT id, msftFilePath FROM silver.Patient ORDER BY ALL",
        "SELECT * FROM gold.person ORDER BY ALL",
        "SELECT * FROM gold.procedure_occurrence ORDER BY ALL",
        "SELECT * FROM gold.image_occurrence ORDER BY ALL"}) {
    for (auto& row : f.Rows(sql)) out.push_back(std::move(row));
  }
  return out;
}

TEST(RelocateTest, ACopiedLakeWorksWhereverItIs) {
  testing::TestDir dir;
  LakeFixture a(dir.Sub("first/lake"));
  const std::string root = a.lake_.root();
  ASSERT_EQ(a.Cli("-q init " + root), 0);
  // Three storage forms: the Ingest pattern (stored ZIPs, delivered archives kept whole), files
  // read in place inside the lake (External) and outside it.
  ASSERT_EQ(a.Cli("-q sample " + root + " --seed 7 --scale 0.03"), 0);
  ASSERT_EQ(a.Cli("-q sample " + dir.Sub("gen") + " --seed 8 --scale 0.01 --no-archives"), 0);
  ASSERT_TRUE(fs::MakeDirs(fs::Join(a.lake_.FilesPath("bronze"), "External/Imaging/DICOM")).ok());
  ASSERT_EQ(
      std::rename(dir.Sub("gen/Imaging/DICOM/sample").c_str(),
                  fs::Join(a.lake_.FilesPath("bronze"), "External/Imaging/DICOM/ext").c_str()),
      0);
  ASSERT_EQ(a.Cli("-q sample " + dir.Sub("outside") + " --seed 9 --scale 0.01 --no-archives"), 0);
  const std::string outside = dir.Sub("outside/Imaging/DICOM/sample");
  ASSERT_EQ(a.Cli("-q run " + root), 3);  // the sample's one file that is not DICOM
  ASSERT_EQ(a.Cli("-q ingest " + root + " --pattern byos"), 3);  // not DICOM, as above
  ASSERT_EQ(a.Cli("-q ingest " + root + " --source " + outside + " --namespace outside"), 3);
  ASSERT_EQ(a.Cli("-q run " + root), 0);
  EXPECT_EQ(a.Count("SELECT count(DISTINCT sourceSystem) FROM bronze.ImagingDicom"), 3);
  const int64_t instances = a.Count("SELECT count(*) FROM bronze.ImagingDicom");
  ASSERT_GT(instances, 300);

  // No table holds the root; files outside the lake keep their absolute paths.
  EXPECT_EQ(CellsHolding(a, root), 0);
  EXPECT_EQ(
      a.Count("SELECT count(*) FROM bronze.ImagingDicom WHERE filePath LIKE '" + outside + "/%'"),
      a.Count("SELECT count(*) FROM bronze.ImagingDicom WHERE sourceSystem = 'outside'"));
  const std::vector<std::string> answers = Answers(a);
  ASSERT_GT(answers.size(), static_cast<size_t>(2 * instances));

  // Copied elsewhere, the original deleted.
  LakeFixture b(dir.Sub("second/elsewhere/lake"));
  const std::string moved = b.lake_.root();
  ASSERT_TRUE(fs::MakeDirs(dir.Sub("second/elsewhere")).ok());
  ASSERT_EQ(
      std::system(
          ("cp -a '" + root + "' '" + moved + "' && rm -rf '" + dir.Sub("first") + "'").c_str()),
      0);
  EXPECT_EQ(Answers(b), answers);
  const auto versions = b.DataVersions();

  std::string out;
  ASSERT_EQ(b.Cli("verify " + moved, &out), 0) << out;
  EXPECT_NE(out.find(std::to_string(instances) + " stored originals re-read"), std::string::npos)
      << out;
  ASSERT_EQ(b.Cli("restore " + moved +
                      " --sql 'SELECT DISTINCT studyInstanceUid FROM bronze.ImagingDicom' --to " +
                      dir.Sub("restored"),
                  &out),
            0)
      << out;  // exit 0: every file restored with the hash bronze recorded
  EXPECT_NE(out.find(": " + std::to_string(instances) + " of " + std::to_string(instances) +
                     " instances restored bit-exact"),
            std::string::npos)
      << out;

  // Nothing new: nothing read or written; files read in place are known unchanged.
  ASSERT_EQ(b.Cli("-q run " + moved), 0);
  ASSERT_EQ(b.Cli("ingest " + moved + " --pattern byos --json", &out), 0);
  EXPECT_NE(out.find("\"instancesRead\": 0"), std::string::npos) << out;
  EXPECT_EQ(b.DataVersions(), versions);
  // The same files delivered again: recognised. New files: added, through to gold.
  ASSERT_EQ(b.Cli("-q sample " + moved + " --seed 7 --scale 0.03"), 0);
  ASSERT_EQ(b.Cli("-q run " + moved), 3);
  EXPECT_EQ(b.Count("SELECT count(*) FROM bronze.ImagingDicom"), instances);
  const int64_t images = b.Count("SELECT count(*) FROM gold.image_occurrence");
  ASSERT_EQ(b.Cli("-q sample " + moved + " --seed 11 --scale 0.01 --namespace later"), 0);
  ASSERT_EQ(b.Cli("-q run " + moved), 3);
  EXPECT_GT(b.Count("SELECT count(*) FROM bronze.ImagingDicom WHERE sourceSystem = 'later'"), 0);
  EXPECT_GT(b.Count("SELECT count(*) FROM gold.image_occurrence"), images);
  EXPECT_EQ(CellsHolding(b, moved), 0);

  // A research lake made from the moved lake.
  LakeFixture r(dir.Sub("research"));
  ASSERT_EQ(
      b.Cli("-q deid " + moved + " --to " + r.lake_.root() + " --key-file " + dir.Sub("keys/key") +
                " --sql \"SELECT DISTINCT patientId FROM "
                "bronze.ImagingDicom WHERE sourceSystem = 'sample'\"",
            &out),
      0)
      << out;
  EXPECT_GT(r.Count("SELECT count(*) FROM gold.image_occurrence"), 0);
}

// A lake written by dicomlake 0.1 (commit 037bdbc), with absolute paths: made at
// /tmp/dicomlake-v0-lake by `init`, `sample --scale 0.01`, a second sample (--seed 2
// --no-archives) read in place from bronze/Files/External/Imaging/DICOM/ext (`ingest --pattern
// byos`), and `run`; kept as tests/data/lake-v0.1-absolute-paths.tgz (370 KB; POSIX tar, so mtimes
// keep their microseconds and files read in place are known unchanged).
TEST(MigrateTest, ALakeOfAnEarlierVersionMovedElsewhereIsMigrated) {
  testing::TestDir dir;
  const std::string old_root = "/tmp/dicomlake-v0-lake";
  ASSERT_EQ(std::system(("tar xzf '" + testing::SourceDir() +
                         "/tests/data/lake-v0.1-absolute-paths.tgz' -C '" + dir.path() + "'")
                            .c_str()),
            0);
  LakeFixture f(dir.Sub("dicomlake-v0-lake"));
  const std::string root = f.lake_.root();
  ASSERT_GT(CellsHolding(f, old_root), 0);
  std::string out;
  if (!fs::Exists(old_root)) {
    EXPECT_EQ(f.Cli("verify " + root, &out), 6) << out;  // the paths point where it was
  }
  const auto versions = f.DataVersions();
  const int64_t instances = f.Count("SELECT count(*) FROM bronze.ImagingDicom");
  ASSERT_EQ(instances, 154);

  ASSERT_EQ(f.Cli("migrate " + root + " --dry-run", &out), 0) << out;
  EXPECT_NE(out.find("bronze/ImagingDicom: 154 rows"), std::string::npos) << out;
  EXPECT_EQ(f.DataVersions(), versions);
  ASSERT_EQ(f.Cli("migrate " + root, &out), 0) << out;
  EXPECT_NE(out.find(old_root), std::string::npos) << out;
  for (const char* table :
       {"bronze/ImagingDicom", "silver/ImagingMetastore", "silver/ImagingStudy", "silver/Patient",
        "bronze/ClinicalFhir", "admin/FileManifest", "gold/image_occurrence"})
    EXPECT_NE(out.find(table), std::string::npos) << table << "\n" << out;
  EXPECT_EQ(CellsHolding(f, old_root), 0);
  EXPECT_EQ(f.Count("SELECT count(*) FROM bronze.ImagingDicom WHERE filePath LIKE 'bronze/Files/"
                    "Process/%' OR filePath LIKE 'bronze/Files/External/%'"),
            instances);
  ASSERT_EQ(f.Cli("migrate " + root, &out), 0) << out;
  EXPECT_NE(out.find("nothing to migrate"), std::string::npos) << out;

  // The migrated lake: fixity holds, originals restore, and the rewrite is not taken for new
  // data (no stage reads anything again; files read in place are known unchanged).
  ASSERT_EQ(f.Cli("verify " + root, &out), 0) << out;
  ASSERT_EQ(f.Cli("-q restore " + root +
                  " --sql 'SELECT DISTINCT studyInstanceUid FROM bronze.ImagingDicom' --to " +
                  dir.Sub("restored")),
            0);
  const auto migrated = f.DataVersions();
  ASSERT_EQ(f.Cli("-q run " + root), 0);
  ASSERT_EQ(f.Cli("ingest " + root + " --pattern byos --json", &out), 0);
  EXPECT_NE(out.find("\"instancesRead\": 0"), std::string::npos) << out;
  EXPECT_EQ(f.DataVersions(), migrated);
  // New data goes through, next to the migrated rows.
  ASSERT_EQ(f.Cli("-q sample " + root + " --seed 5 --scale 0.01 --namespace later"), 0);
  ASSERT_EQ(f.Cli("-q run " + root), 3);
  EXPECT_GT(f.Count("SELECT count(*) FROM bronze.ImagingDicom"), instances);
  EXPECT_EQ(CellsHolding(f, root), 0);
}

}  // namespace
}  // namespace dicomlake
