// Purge bronze (issue 15, scope 5): the rows the fhir and silver stages consumed go from bronze,
// each leaving a compact record in admin.PurgedInstances. Nothing downstream changes; identical
// files delivered again are still recognised; a new instance of a purged study gets an
// ImagingStudy that lists every instance (the purged ones from silver); the originals of purged
// rows are still verified and restored bit-exact.
#include <gtest/gtest.h>

#include <string>

#include "common/fs.h"
#include "support/lake_fixture.h"
#include "support/test_dir.h"

namespace dicomlake {
namespace {

using testing::LakeFixture;

TEST(PurgeTest, BronzeGoesAndEverythingKeepsWorking) {
  testing::TestDir dir;
  LakeFixture f(dir.Sub("lake"));
  const std::string root = f.lake_.root();
  ASSERT_EQ(f.Cli("-q init " + root), 0);
  ASSERT_EQ(f.Cli("-q sample " + root + " --seed 5 --scale 0.05"), 0);
  ASSERT_EQ(f.Cli("-q ingest " + root), 3);  // the sample's one file that is not DICOM
  std::string out;
  // Not before the later stages have consumed the rows.
  ASSERT_EQ(f.Cli("purge " + root + " bronze", &out), 0) << out;
  EXPECT_NE(out.find("nothing to purge: the fhir stage has not run yet"), std::string::npos) << out;
  ASSERT_EQ(f.Cli("-q run " + root), 0);
  const int64_t instances = f.Count("SELECT count(*) FROM bronze.ImagingDicom");
  ASSERT_GT(instances, 300);
  const auto studies = f.Rows(
      "SELECT s.id, s.numberOfInstances, len(s.series) FROM silver.ImagingStudy s ORDER BY 1");
  const auto gold = f.Rows("SELECT * FROM gold.image_occurrence ORDER BY ALL");
  // --before a date before the ingest: nothing; a dry run: nothing changes.
  ASSERT_EQ(f.Cli("purge " + root + " bronze --before 2020-01-01", &out), 0) << out;
  EXPECT_NE(out.find("nothing to purge"), std::string::npos) << out;
  const auto versions = f.DataVersions();
  ASSERT_EQ(f.Cli("purge " + root + " bronze --dry-run", &out), 0) << out;
  EXPECT_NE(out.find(std::to_string(instances) + " bronze rows would be purged"), std::string::npos)
      << out;
  EXPECT_EQ(f.DataVersions(), versions);

  ASSERT_EQ(f.Cli("purge " + root + " bronze --before 2999-01-01", &out), 0) << out;
  EXPECT_EQ(f.Count("SELECT count(*) FROM bronze.ImagingDicom"), 0);
  EXPECT_EQ(f.Count("SELECT count(*) FROM admin.PurgedInstances"), instances);
  // Older versions still hold the rows (until `vacuum`).
  ASSERT_EQ(f.Cli("sql " + root +
                      " --as-of 1 --format csv \"SELECT count(*) AS n FROM "
                      "bronze.ImagingDicom\"",
                  &out),
            0)
      << out;
  EXPECT_EQ(out, "n\n" + std::to_string(instances) + "\n");
  // Downstream nothing moves: a run reads nothing again.
  ASSERT_EQ(f.Cli("-q run " + root), 0);
  auto after = f.DataVersions();
  after.erase("bronze/ImagingDicom");
  auto before = versions;
  before.erase("bronze/ImagingDicom");
  EXPECT_EQ(after, before);
  EXPECT_EQ(f.Rows("SELECT * FROM gold.image_occurrence ORDER BY ALL"), gold);

  // The same files again: recognised, nothing added.
  ASSERT_EQ(f.Cli("-q sample " + root + " --seed 5 --scale 0.05"), 0);
  ASSERT_EQ(f.Cli("-q run " + root), 3);
  EXPECT_EQ(f.Count("SELECT count(*) FROM bronze.ImagingDicom"), 0);
  EXPECT_EQ(f.Rows("SELECT s.id, s.numberOfInstances, len(s.series) FROM silver.ImagingStudy s "
                   "ORDER BY 1"),
            studies);

  // A new instance of a purged study: its ImagingStudy lists every instance.
  const auto one = f.Rows(
      "SELECT filePath, archiveMember, studyInstanceUid FROM admin.PurgedInstances WHERE "
      "filePath LIKE '%.dcm.zip' ORDER BY sopInstanceUid LIMIT 1");
  ASSERT_EQ(one.size(), 1u);
  const std::string zip = f.lake_.ResolvePath(one[0].substr(0, one[0].find('|')));
  const std::string study = one[0].substr(one[0].rfind('|', one[0].size() - 2) + 1,
                                          one[0].size() - one[0].rfind('|', one[0].size() - 2) - 2);
  const int64_t in_study = f.Count(
      "SELECT count(*) FROM silver.ImagingMetastore WHERE studyInstanceUid = '" + study + "'");
  const std::string drop = f.lake_.FilesPath("bronze") + "/Ingest/Imaging/DICOM/sample/new";
  ASSERT_TRUE(fs::MakeDirs(drop).ok());
  ASSERT_EQ(std::system(("/usr/bin/python3 -c \"import io, sys, zipfile, pydicom; "
                         "z = zipfile.ZipFile(sys.argv[1]); "
                         "d = pydicom.dcmread(io.BytesIO(z.read(z.namelist()[0]))); "
                         "d.SOPInstanceUID += '.9'; "
                         "d.file_meta.MediaStorageSOPInstanceUID = d.SOPInstanceUID; "
                         "d.InstanceNumber = 999; d.save_as(sys.argv[2])\" '" +
                         zip + "' '" + drop + "/added.dcm'")
                            .c_str()),
            0);
  ASSERT_EQ(f.Cli("-q run " + root), 0);
  EXPECT_EQ(f.Count("SELECT count(*) FROM bronze.ImagingDicom"), 1);
  EXPECT_EQ(f.Count("SELECT count(*) FROM silver.ImagingMetastore WHERE studyInstanceUid = '" +
                    study + "'"),
            in_study + 1);
  EXPECT_EQ(f.Count("SELECT numberOfInstances FROM silver.ImagingStudy WHERE "
                    "identifier_string LIKE '%urn:oid:" +
                    study + "\"%'"),
            in_study + 1);
  EXPECT_EQ(
      f.Count("SELECT sum(len(s.instance))::BIGINT FROM silver.ImagingStudy i, unnest(i.series) AS "
              "t(s) WHERE identifier_string LIKE '%urn:oid:" +
              study + "\"%'"),
      in_study + 1);

  // The originals of purged rows: verified, restored bit-exact, their frames read.
  const std::string framed =
      f.Rows(
           "SELECT sopInstanceUid FROM admin.PurgedInstances WHERE frameIndex IS NOT NULL "
           "ORDER BY 1 LIMIT 1")
          .at(0);
  ASSERT_EQ(f.Cli("frames " + root + " --sop " + framed.substr(0, framed.size() - 1) + " --to " +
                      dir.Sub("frames"),
                  &out),
            0)
      << out;
  EXPECT_NE(out.find("read through the frame index"), std::string::npos) << out;
  ASSERT_EQ(f.Cli("verify " + root, &out), 0) << out;
  EXPECT_NE(out.find(std::to_string(instances + 1) + " stored originals re-read"),
            std::string::npos)
      << out;
  ASSERT_EQ(f.Cli("restore " + root +
                      " --sql 'SELECT DISTINCT studyInstanceUid FROM admin.PurgedInstances' --to " +
                      dir.Sub("restored"),
                  &out),
            0)
      << out;
  EXPECT_NE(out.find(": " + std::to_string(instances + 1) + " of " + std::to_string(instances + 1) +
                     " instances restored bit-exact"),
            std::string::npos)
      << out;
}

}  // namespace
}  // namespace dicomlake
