// The archive lifecycle (issue 15). Restore: every original of the sample comes back bit-exact from
// each storage form (the Ingest pattern's one-entry ZIPs, delivered ZIP archives kept whole, files
// read in place), compared byte for byte with the files the sample generator wrote (archives
// extracted by Python's zipfile, independently of dicomlake); a damaged or missing stored copy is
// reported for that file and the rest still restored.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <thread>

#include "common/fs.h"
#include "common/time_util.h"
#include "support/lake_fixture.h"
#include "support/test_dir.h"

namespace dicomlake {
namespace {

namespace stdfs = std::filesystem;
using testing::LakeFixture;

// Every regular file below `root`, by path relative to it -> its bytes.
std::map<std::string, std::string> Files(const std::string& root) {
  std::map<std::string, std::string> out;
  for (const auto& e : stdfs::recursive_directory_iterator(root)) {
    if (e.is_regular_file()) {
      out[stdfs::relative(e.path(), root).string()] = *fs::ReadFile(e.path().string());
    }
  }
  return out;
}

// What the sample generator wrote under `delivered` (its Imaging/DICOM/<namespace> folder), as
// restore's original layout names it: plain files as they are, each ZIP's members under the
// archive's path without ".zip" (extracted here by Python's zipfile).
std::map<std::string, std::string> Expected(const std::string& delivered, const std::string& ns,
                                            const std::string& scratch) {
  std::map<std::string, std::string> out;
  for (const auto& [path, bytes] : Files(delivered)) {
    if (path.size() > 4 && path.compare(path.size() - 4, 4, ".zip") == 0) {
      const std::string stem = path.substr(0, path.size() - 4);
      const std::string dir = fs::Join(scratch, stem);
      std::string cmd =
          "/usr/bin/python3 -c \"import sys, zipfile; "
          "zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])\" '" +
          fs::Join(delivered, path) + "' '" + dir + "'";
      EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
      for (const auto& [member, data] : Files(dir)) out[ns + "/" + stem + "/" + member] = data;
    } else {
      out[ns + "/" + path] = bytes;
    }
  }
  return out;
}

TEST(RestoreTest, EveryOriginalComesBackBitExactFromEachStorageForm) {
  testing::TestDir dir;
  // The files as the generator writes them, kept aside as the truth.
  LakeFixture truth(dir.Sub("truth"));
  ASSERT_EQ(truth.Cli("-q sample " + dir.Sub("delivered") + " --seed 4 --scale 0.05"), 0);
  const std::string delivered = dir.Sub("delivered") + "/Imaging/DICOM/sample";
  auto expected = Expected(delivered, "sample", dir.Sub("extracted"));
  ASSERT_GT(expected.size(), 300u);
  // Drop the one file that is not DICOM: it has no bronze row.
  for (auto it = expected.begin(); it != expected.end();)
    it = it->first.find("report-not-dicom") != std::string::npos ? expected.erase(it) : ++it;

  // Ingest pattern (a copy of the files dropped, then stored as ZIPs) and in place (BYOS).
  LakeFixture ingest(dir.Sub("ingest-lake"));
  ASSERT_EQ(ingest.Cli("-q init " + ingest.lake_.root()), 0);
  ASSERT_EQ(std::system(("cp -r '" + dir.Sub("delivered") + "/Imaging' '" +
                         ingest.lake_.FilesPath("bronze") + "/Ingest/'")
                            .c_str()),
            0);
  ASSERT_EQ(ingest.Cli("-q ingest " + ingest.lake_.root()), 3);  // the non-DICOM file
  LakeFixture byos(dir.Sub("byos-lake"));
  ASSERT_EQ(byos.Cli("-q init " + byos.lake_.root()), 0);
  ASSERT_EQ(
      byos.Cli("-q ingest " + byos.lake_.root() + " --source " + delivered + " --namespace sample"),
      3);

  for (LakeFixture* f : {&ingest, &byos}) {
    const std::string out = dir.Sub("restored-" + stdfs::path(f->lake_.root()).filename().string());
    std::string log;
    ASSERT_EQ(f->Cli("restore " + f->lake_.root() +
                         " --sql \"SELECT DISTINCT studyInstanceUid "
                         "FROM bronze.ImagingDicom\" --to " +
                         out,
                     &log),
              0)
        << log;
    auto restored = Files(out);
    EXPECT_EQ(restored.size(), expected.size()) << f->lake_.root();
    int equal = 0;
    for (const auto& [path, bytes] : expected) {
      auto it = restored.find(path);
      if (it == restored.end()) {
        ADD_FAILURE() << path << " not restored from " << f->lake_.root();
        continue;
      }
      equal += it->second == bytes ? 1 : 0;
      EXPECT_EQ(it->second, bytes) << path;
    }
    EXPECT_EQ(equal, static_cast<int>(expected.size()));
  }

  // A damaged copy and a missing one: reported for those files, the rest restored (exit 3).
  auto stored = ingest.Rows(
      "SELECT filePath FROM bronze.ImagingDicom WHERE archiveMember NOT "
      "LIKE '%/%' ORDER BY filePath LIMIT 2");
  ASSERT_EQ(stored.size(), 2u);
  std::string damaged = ingest.lake_.ResolvePath(stored[0].substr(0, stored[0].size() - 1));
  std::string missing = ingest.lake_.ResolvePath(stored[1].substr(0, stored[1].size() - 1));
  std::string bytes = *fs::ReadFile(damaged);
  bytes[bytes.size() / 2] ^= 0x01;
  ASSERT_TRUE(fs::WriteFileAtomic(damaged, bytes).ok());
  ASSERT_TRUE(fs::RemoveFile(missing).ok());
  std::string log;
  EXPECT_EQ(ingest.Cli("restore " + ingest.lake_.root() +
                           " --sql \"SELECT DISTINCT "
                           "studyInstanceUid FROM bronze.ImagingDicom\" --to " +
                           dir.Sub("again"),
                       &log),
            3);
  EXPECT_NE(log.find(damaged), std::string::npos) << log;
  EXPECT_NE(log.find(missing), std::string::npos) << log;
  EXPECT_NE(log.find("2 missing or damaged"), std::string::npos) << log;
  EXPECT_EQ(Files(dir.Sub("again")).size(), expected.size() - 2);
}

// Time travel: `sql --as-of` a time before a second batch, or a version, gives every layer's
// counts as they were then.
TEST(TimeTravelTest, EveryTableAsItWas) {
  testing::TestDir dir;
  LakeFixture f(dir.Sub("lake"));
  ASSERT_EQ(f.Cli("-q init " + f.lake_.root()), 0);
  ASSERT_EQ(f.Cli("-q sample " + f.lake_.root() + " --seed 8 --scale 0.02"), 0);
  ASSERT_EQ(f.Cli("-q run " + f.lake_.root()), 3);
  const std::string counts =
      "\"SELECT (SELECT count(*) FROM bronze.ImagingDicom) || ',' || (SELECT count(*) FROM "
      "silver.ImagingStudy) || ',' || (SELECT count(*) FROM gold.image_occurrence)\"";
  std::string before, after, then, first;
  ASSERT_EQ(f.Cli("-q sql " + f.lake_.root() + " --format csv " + counts, &before), 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  const int64_t between = NowMillis();
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  ASSERT_EQ(f.Cli("-q sample " + f.lake_.root() + " --seed 9 --scale 0.02"), 0);
  ASSERT_EQ(f.Cli("-q run " + f.lake_.root()), 3);
  ASSERT_EQ(f.Cli("-q sql " + f.lake_.root() + " --format csv " + counts, &after), 0);
  EXPECT_NE(after, before);
  const std::string at = FormatTimestampIso(between * 1000, 3);
  ASSERT_EQ(f.Cli("-q sql " + f.lake_.root() + " --as-of " + at + " --format csv " + counts, &then),
            0)
      << then;
  EXPECT_EQ(then, before);
  // Version 0 of every table: as created, empty.
  ASSERT_EQ(f.Cli("-q sql " + f.lake_.root() + " --as-of 0 --format csv " + counts, &first), 0);
  EXPECT_NE(first.find("0,0,0"), std::string::npos) << first;
  EXPECT_EQ(f.Cli("-q sql " + f.lake_.root() + " --as-of soon \"SELECT 1\""), 2);
}

// Verify finds a flipped byte, a truncated copy, a missing copy, a file changed in place (BYOS)
// and a missing Delta data file; a sound lake verifies clean.
TEST(VerifyTest, FindsEveryKindOfDamage) {
  testing::TestDir dir;
  LakeFixture f(dir.Sub("lake"));
  ASSERT_EQ(f.Cli("-q init " + f.lake_.root()), 0);
  ASSERT_EQ(f.Cli("-q sample " + f.lake_.root() + " --seed 6 --scale 0.02"), 0);
  ASSERT_EQ(f.Cli("-q run " + f.lake_.root()), 3);
  ASSERT_EQ(f.Cli("-q sample " + dir.Sub("byos") + " --seed 7 --scale 0.01 --no-archives"), 0);
  ASSERT_EQ(f.Cli("-q ingest " + f.lake_.root() + " --source " + dir.Sub("byos") +
                  "/Imaging/DICOM/sample --namespace outside"),
            3);
  std::string out;
  ASSERT_EQ(f.Cli("verify " + f.lake_.root(), &out), 0) << out;
  EXPECT_NE(out.find("0 missing, 0 corrupt, 0 changed in place"), std::string::npos) << out;

  auto stored = f.Rows(
      "SELECT DISTINCT filePath FROM bronze.ImagingDicom WHERE filePath LIKE "
      "'%/Process/%.dcm.zip' ORDER BY 1 LIMIT 3");
  ASSERT_EQ(stored.size(), 3u);
  auto path = [&f](std::string row) { return f.lake_.ResolvePath(row.substr(0, row.size() - 1)); };
  const std::string flipped = path(stored[0]), truncated = path(stored[1]), gone = path(stored[2]);
  std::string bytes = *fs::ReadFile(flipped);
  bytes[bytes.size() / 2] ^= 0x40;
  ASSERT_TRUE(fs::WriteFileAtomic(flipped, bytes).ok());
  bytes = *fs::ReadFile(truncated);
  ASSERT_TRUE(fs::WriteFileAtomic(truncated, bytes.substr(0, bytes.size() / 2)).ok());
  ASSERT_TRUE(fs::RemoveFile(gone).ok());
  const std::string byos = path(f.Rows("SELECT filePath FROM bronze.ImagingDicom WHERE "
                                       "sourceSystem = 'outside' ORDER BY 1 LIMIT 1")
                                    .at(0));
  bytes = *fs::ReadFile(byos);
  bytes[bytes.size() - 1] ^= 0x01;
  ASSERT_TRUE(fs::WriteFileAtomic(byos, bytes).ok());
  std::string person_file;  // a Delta data file of gold.person
  for (const auto& e : stdfs::directory_iterator(f.lake_.TablePath("gold", "person")))
    if (e.path().extension() == ".parquet") person_file = e.path().string();
  ASSERT_FALSE(person_file.empty());
  const std::string person_bytes = *fs::ReadFile(person_file);
  ASSERT_TRUE(fs::RemoveFile(person_file).ok());

  EXPECT_EQ(f.Cli("verify " + f.lake_.root(), &out), 6) << out;
  for (const std::string& want :
       {"corrupt: " + flipped, "corrupt: " + truncated, "missing: " + gone,
        "changed-in-place: " + byos, "missing-data-file: " + person_file,
        std::string("1 missing, 2 corrupt, 1 changed in place")}) {
    EXPECT_NE(out.find(want), std::string::npos) << want << "\n" << out;
  }
  // Recorded: the run's counts and one event per problem.
  EXPECT_EQ(f.Count("SELECT count(*) FROM admin.BusinessEvents WHERE activityName = "
                    "'fixity_verification'"),
            5);
  // Put the data file back: the test folder's lakes are checked against the Delta protocol.
  ASSERT_TRUE(fs::WriteFileAtomic(person_file, person_bytes).ok());
}

}  // namespace
}  // namespace dicomlake
