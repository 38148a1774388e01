// Backup (issue 15, scope 4). The copy is a working lake: backed up, the original deleted, the
// demo's questions (scripts/demo-queries.tsv) get the same answers from the copy; later runs copy
// only what is new; a stored original whose bytes no longer match bronze's hash is not copied;
// a backup killed with SIGKILL at any moment leaves a copy that verifies, and the next run ends
// with a copy identical to the lake.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "common/fs.h"
#include "support/lake_fixture.h"
#include "support/test_dir.h"

namespace dicomlake {
namespace {

namespace stdfs = std::filesystem;
using testing::LakeFixture;

// The demo's questions, asked with `dicomlake sql --format csv`: their answers, in order.
std::vector<std::string> DemoAnswers(LakeFixture& f) {
  std::ifstream in(testing::SourceDir() + "/scripts/demo-queries.tsv");
  std::vector<std::string> out;
  std::string line;
  while (std::getline(in, line)) {
    const std::string sql = line.substr(line.find('\t') + 1);
    std::string answer;
    EXPECT_EQ(f.Cli("sql " + f.lake_.root() + " --format csv \"" + sql + "\"", &answer), 0) << sql;
    out.push_back(answer);
  }
  EXPECT_EQ(out.size(), 3u);
  return out;
}

// Every file below `root` that a backup carries (not the Ingest drop zones, dot files, or the two
// log tables, whose newest rows record the backups themselves), by relative path -> bytes.
std::map<std::string, std::string> BackedUpFiles(const std::string& root) {
  std::map<std::string, std::string> out;
  for (auto it = stdfs::recursive_directory_iterator(root); it != stdfs::end(it); ++it) {
    const std::string rel = stdfs::relative(it->path(), root).string();
    const std::string name = it->path().filename().string();
    if (name[0] == '.' || rel.rfind("bronze/Files/Ingest", 0) == 0 ||
        rel.rfind("admin/Tables/ExecutionSummary", 0) == 0 ||
        rel.rfind("admin/Tables/BusinessEvents", 0) == 0) {
      if (it->is_directory()) it.disable_recursion_pending();
      continue;
    }
    if (it->is_regular_file()) out[rel] = *fs::ReadFile(it->path().string());
  }
  return out;
}

std::string JsonField(const std::string& json, const std::string& key) {
  size_t at = json.find("\"" + key + "\": ");
  if (at == std::string::npos) return "";
  at += key.size() + 4;
  return json.substr(at, json.find_first_of(",\n", at) - at);
}

TEST(BackupTest, TheCopyIsAWorkingLakeWithTheSameAnswers) {
  testing::TestDir dir;
  LakeFixture lake(dir.Sub("lake"));
  const std::string root = lake.lake_.root();
  ASSERT_EQ(lake.Cli("-q init " + root), 0);
  ASSERT_EQ(lake.Cli("-q sample " + root + " --seed 1 --scale 0.05"), 0);
  ASSERT_EQ(lake.Cli("-q run " + root), 3);  // the sample's one file that is not DICOM
  const std::string dest = dir.Sub("nas/backup");
  std::string out;
  ASSERT_EQ(lake.Cli("backup " + root + " --to " + dest + " --json", &out), 0) << out;
  const int64_t instances = lake.Count("SELECT count(*) FROM bronze.ImagingDicom");
  EXPECT_EQ(JsonField(out, "originalsChecked"), std::to_string(instances)) << out;
  EXPECT_EQ(JsonField(out, "filesCopied"), JsonField(out, "filesConsidered")) << out;
  LakeFixture backup(dest);
  EXPECT_EQ(backup.DataVersions(), lake.DataVersions());

  // Nothing new: only the lake's record of the first backup is copied.
  ASSERT_EQ(lake.Cli("backup " + root + " --to " + dest + " --json", &out), 0) << out;
  EXPECT_EQ(JsonField(out, "originalsChecked"), "0") << out;
  EXPECT_LE(std::stoll(JsonField(out, "filesCopied")), 2) << out;
  // The copy verifies (and records that run in its own log tables).
  ASSERT_EQ(backup.Cli("verify " + dest, &out), 0) << out;

  // New data: only it is copied (its originals hash-checked); the copy's own log is replaced.
  ASSERT_EQ(lake.Cli("-q sample " + root + " --seed 2 --scale 0.01 --namespace later"), 0);
  ASSERT_EQ(lake.Cli("-q run " + root), 3);
  const int64_t added = lake.Count("SELECT count(*) FROM bronze.ImagingDicom") - instances;
  ASSERT_GT(added, 0);
  ASSERT_EQ(lake.Cli("backup " + root + " --to " + dest + " --json", &out), 0) << out;
  EXPECT_EQ(JsonField(out, "originalsChecked"), std::to_string(added)) << out;
  EXPECT_NE(out.find("\"admin/ExecutionSummary\"\n"), std::string::npos) << out;  // replaced
  const std::vector<std::string> answers = DemoAnswers(lake);
  ASSERT_NE(answers[0].find("CT,"), std::string::npos) << answers[0];
  const auto versions = lake.DataVersions();

  // The original deleted: the copy answers the same, and goes on as a lake.
  ASSERT_TRUE(fs::RemoveAll(root).ok());
  EXPECT_EQ(DemoAnswers(backup), answers);
  EXPECT_EQ(backup.DataVersions(), versions);
  ASSERT_EQ(backup.Cli("verify " + dest, &out), 0) << out;
  ASSERT_EQ(backup.Cli("-q run " + dest), 0);
  EXPECT_EQ(backup.DataVersions(), versions);
  ASSERT_EQ(backup.Cli("-q sample " + dest + " --seed 3 --scale 0.01 --namespace after"), 0);
  ASSERT_EQ(backup.Cli("-q run " + dest), 3);
  EXPECT_GT(backup.Count("SELECT count(*) FROM gold.image_occurrence io JOIN "
                         "silver.ImagingMetastore m ON io.image_study_uid = m.studyInstanceUid "
                         "WHERE m.msftSourceSystem = 'after'"),
            0);
}

TEST(BackupTest, RefusesWhatWouldMixOrLoseData) {
  testing::TestDir dir;
  LakeFixture lake(dir.Sub("lake"));
  const std::string root = lake.lake_.root();
  ASSERT_EQ(lake.Cli("-q init " + root), 0);
  ASSERT_EQ(lake.Cli("-q sample " + root + " --seed 1 --scale 0.02"), 0);
  ASSERT_EQ(lake.Cli("-q run " + root), 3);
  std::string out;
  EXPECT_EQ(lake.Cli("backup " + root + " --to " + root + "/inside", &out), 2) << out;
  EXPECT_NE(out.find("inside the lake"), std::string::npos) << out;
  ASSERT_TRUE(fs::MakeDirs(dir.Sub("full")).ok());
  ASSERT_TRUE(fs::WriteFileAtomic(dir.Sub("full/notes.txt"), "x").ok());
  EXPECT_EQ(lake.Cli("backup " + root + " --to " + dir.Sub("full"), &out), 2) << out;
  EXPECT_NE(out.find("holds no lake"), std::string::npos) << out;
  // Another lake (same layout, its own history) is not a backup of this one.
  LakeFixture other(dir.Sub("other"));
  ASSERT_EQ(other.Cli("-q init " + other.lake_.root()), 0);
  ASSERT_EQ(other.Cli("-q sample " + other.lake_.root() + " --seed 1 --scale 0.02"), 0);
  ASSERT_EQ(other.Cli("-q run " + other.lake_.root()), 3);
  const auto theirs = other.DataVersions();
  const int64_t their_runs = other.Count("SELECT count(*) FROM admin.ExecutionSummary");
  EXPECT_EQ(lake.Cli("backup " + root + " --to " + other.lake_.root(), &out), 1) << out;
  EXPECT_NE(out.find("another lake"), std::string::npos) << out;
  EXPECT_EQ(other.DataVersions(), theirs);
  EXPECT_EQ(other.Count("SELECT count(*) FROM admin.ExecutionSummary"), their_runs);

  // A stored original whose bytes changed since ingest is reported and not copied.
  const std::string dest = dir.Sub("backup");
  ASSERT_EQ(lake.Cli("-q backup " + root + " --to " + dest), 0);
  ASSERT_EQ(lake.Cli("-q sample " + root + " --seed 2 --scale 0.01 --namespace later"), 0);
  ASSERT_EQ(lake.Cli("-q run " + root), 3);
  const std::string rel = lake.Rows(
                                  "SELECT filePath FROM bronze.ImagingDicom WHERE sourceSystem "
                                  "= 'later' AND filePath LIKE '%.dcm.zip' ORDER BY 1 LIMIT 1")
                              .at(0);
  const std::string damaged = lake.lake_.ResolvePath(rel.substr(0, rel.size() - 1));
  std::string bytes = *fs::ReadFile(damaged);
  bytes[bytes.size() / 2] ^= 0x20;
  ASSERT_TRUE(fs::WriteFileAtomic(damaged, bytes).ok());
  EXPECT_EQ(lake.Cli("backup " + root + " --to " + dest, &out), 6) << out;
  EXPECT_NE(out.find(damaged), std::string::npos) << out;
  EXPECT_NE(out.find("not backed up"), std::string::npos) << out;
  EXPECT_FALSE(fs::Exists(dest + damaged.substr(root.size())));
  EXPECT_EQ(lake.Count("SELECT count(*) FROM admin.BusinessEvents WHERE activityName = "
                       "'lake_backup' AND sourceFilePath = '" +
                       damaged + "'"),
            1);
}

TEST(BackupTest, AKilledBackupResumesToAnIdenticalCopy) {
  testing::TestDir dir;
  LakeFixture lake(dir.Sub("lake"));
  const std::string root = lake.lake_.root();
  ASSERT_EQ(lake.Cli("-q init " + root), 0);
  ASSERT_EQ(lake.Cli("-q sample " + root + " --seed 1 --scale 0.1"), 0);
  ASSERT_EQ(lake.Cli("-q run " + root), 3);
  const std::string dest = dir.Sub("backup");
  const std::string backup = "'" + testing::DicomlakeBinary() + "' -q backup '" + root +
                             "' --threads 1 --to '" + dest + "'";
  // SIGKILL after a growing delay until a run completes; after each kill the copy, if it is a
  // lake yet, verifies (its logs never reference what it lacks).
  int kills = 0, partial = 0;
  for (int ms = 30;; ms = ms * 3 / 2) {
    ASSERT_LT(ms, 60000) << "the backup never finished";
    std::string ignored;
    const int rc = testing::RunCommand(
        "timeout -s KILL " + std::to_string(ms / 1000.0) + " " + backup, &ignored, true);
    if (rc == 0) break;
    ASSERT_EQ(rc, 137) << ignored;
    ++kills;
    if (!fs::Exists(dest + "/admin/Files/system-configurations")) continue;
    ++partial;
    LakeFixture copy(dest);
    std::string out;
    EXPECT_EQ(copy.Cli("verify " + dest, &out), 0) << "after a kill at " << ms << " ms\n" << out;
  }
  std::printf("backup killed %d times (%d times with a partial copy) before a run completed\n",
              kills, partial);
  EXPECT_GE(kills, 2);
  EXPECT_GE(partial, 1);
  // Identical to the lake, file for file and byte for byte, and verified.
  const auto ours = BackedUpFiles(root), theirs = BackedUpFiles(dest);
  EXPECT_EQ(ours.size(), theirs.size());
  for (const auto& [rel, bytes] : ours) {
    auto it = theirs.find(rel);
    if (it == theirs.end()) {
      ADD_FAILURE() << rel << " is not in the backup";
    } else if (it->second != bytes) {
      ADD_FAILURE() << rel << " differs in the backup";
    }
  }
  std::string out;
  LakeFixture copy(dest);
  EXPECT_EQ(copy.Cli("verify " + dest, &out), 0) << out;
}

}  // namespace
}  // namespace dicomlake
