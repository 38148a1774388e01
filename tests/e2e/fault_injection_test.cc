// Exactly-once under storage faults, deterministically and in-process: an ingest run's file-system
// operations (the Process copies, their fsyncs and renames, the Delta commits of bronze and the
// admin tables, the removal of originals) are failed one at a time, each in a fresh lake; after
// each, a second run without faults must leave every instance in bronze exactly once, every
// original stored in Process (or the one non-DICOM file in Failed), nothing left in Ingest, and
// every table valid Delta. The same for the later stages' commits, and for the later stages
// carrying a delete and a patch (`dicomlake delete`/`patch`) through.
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>

#include "bronze/operations.h"
#include "common/fs.h"
#include "config/config.h"
#include "pipeline/admin_tables.h"
#include "pipeline/operations_stage.h"
#include "pipeline/pipeline.h"
#include "support/delta_conformance.h"
#include "support/fault_env.h"
#include "support/lake_fixture.h"
#include "support/test_dir.h"

namespace dicomlake {
namespace {

const std::string kPydicom = "/usr/lib/python3/dist-packages/pydicom/data/test_files/";
// Four instances with four distinct (contentHash, sopInstanceUid) keys, and one file that is not
// DICOM; two files per batch, so that there are three batches.
const char* const kFiles[] = {"CT_small.dcm", "MR_small.dcm", "rtplan.dcm",
                              "MR_small_implicit.dcm"};
constexpr int64_t kInstances = 4;

class FaultInjectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::Exists(kPydicom + "CT_small.dcm")) GTEST_SKIP() << "python3-pydicom is not installed";
  }

  // A new lake with the input files in its Ingest drop zone (written without faults).
  std::unique_ptr<testing::LakeFixture> NewLake(int n) {
    auto f = std::make_unique<testing::LakeFixture>(dir_.Sub("lake" + std::to_string(n)));
    EXPECT_TRUE(pipeline::InitLake(f->lake(), f->engine()).ok());
    std::string ingest = fs::Join(f->lake().FilesPath("bronze"), "Ingest/Imaging/DICOM/HOSP");
    EXPECT_TRUE(fs::MakeDirs(ingest).ok());
    for (const char* name : kFiles) {
      auto data = fs::ReadFile(kPydicom + name);
      EXPECT_TRUE(data.ok());
      EXPECT_TRUE(fs::WriteFileAtomic(fs::Join(ingest, name), *data).ok());
    }
    EXPECT_TRUE(fs::WriteFileAtomic(fs::Join(ingest, "notes.dcm"), "not DICOM\n").ok());
    return f;
  }

  config::Config Config(testing::LakeFixture& f) {
    auto c = config::Config::Load(f.lake().root(),
                                  {"ingest.max_files_per_trigger=2", "global.threads=1"});
    EXPECT_TRUE(c.ok());
    return *c;
  }

  Status Ingest(testing::LakeFixture& f) {
    return pipeline::RunIngest(f.lake(), f.engine(), Config(f), {}).status();
  }

  // The state a complete, exactly-once ingest leaves.
  void ExpectComplete(testing::LakeFixture& f, const std::string& context) {
    SCOPED_TRACE(context);
    EXPECT_EQ(f.Count("SELECT count(*) FROM bronze.ImagingDicom"), kInstances);
    EXPECT_EQ(f.Count("SELECT count(DISTINCT (contentHash, sopInstanceUid)) FROM "
                      "bronze.ImagingDicom"),
              kInstances);
    std::string bronze_files = f.lake().FilesPath("bronze");
    EXPECT_EQ(Files(fs::Join(bronze_files, "Ingest/Imaging")), 0) << "originals left in Ingest";
    EXPECT_EQ(Files(fs::Join(bronze_files, "Process/Imaging")), kInstances);
    EXPECT_EQ(Files(fs::Join(bronze_files, "Failed/Imaging")), 1);
    for (const auto& p : testing::CheckAllTablesUnder(f.lake().root())) ADD_FAILURE() << p;
  }

  // Regular files under `dir` whose names do not start with '.' (temporary files do).
  static int64_t Files(const std::string& dir) {
    std::string out;
    testing::RunCommand("find " + dir + " -type f ! -name '.*' 2>/dev/null | wc -l", &out);
    return std::stoll(out);
  }

  // Runs the whole pipeline on a lake from `prepare(n)` with its n-th file-system operation
  // failed, for every second n (the odd ones are the other halves of the same write sequences:
  // create/append, sync/close, link/remove), then again without faults: `state` must then be
  // what one run without faults gives, and every table valid Delta.
  using Prepare = std::function<std::unique_ptr<testing::LakeFixture>(int)>;
  using State = std::function<std::vector<std::string>(testing::LakeFixture&)>;
  void ExpectEveryFailedRunRecovered(const Prepare& prepare, const State& state) {
    auto reference = prepare(-1);
    int64_t total = 0;
    {
      ScopedEnv scoped(&env_);
      env_.FailAt(0);
      auto all = pipeline::RunAll(reference->lake(), reference->engine(), Config(*reference), {});
      ASSERT_TRUE(all.ok()) << all.status().ToString();
      total = env_.operations();
    }
    const auto expected = state(*reference);
    for (int64_t n = 1; n <= total; n += 2) {
      auto f = prepare(static_cast<int>(n));
      std::string failed;
      {
        ScopedEnv scoped(&env_);
        env_.FailAt(n);
        (void)pipeline::RunAll(f->lake(), f->engine(), Config(*f), {});
        failed = env_.failed_operation();
      }
      auto again = pipeline::RunAll(f->lake(), f->engine(), Config(*f), {});
      ASSERT_TRUE(again.ok()) << "after failing " << failed << ": " << again.status().ToString();
      EXPECT_EQ(state(*f), expected) << "after failing operation " << n << ": " << failed;
      for (const auto& p : testing::CheckAllTablesUnder(f->lake().root()))
        ADD_FAILURE() << "after failing " << failed << ": " << p;
      ASSERT_TRUE(fs::RemoveAll(f->lake().root()).ok());
    }
  }

  testing::TestDir dir_;
  testing::FaultInjectionEnv env_;
};

TEST_F(FaultInjectionTest, EveryFailedWriteOfAnIngestRunIsRecoveredExactlyOnce) {
  // A clean run counts the operations there are to fail.
  int64_t total = 0;
  {
    auto f = NewLake(0);
    ScopedEnv scoped(&env_);
    env_.FailAt(0);
    ASSERT_TRUE(Ingest(*f).ok());
    total = env_.operations();
  }
  ASSERT_GT(total, 20);
  int64_t surfaced = 0;
  for (int64_t n = 1; n <= total; ++n) {
    auto f = NewLake(static_cast<int>(n));
    Status first;
    std::string failed;
    {
      ScopedEnv scoped(&env_);
      env_.FailAt(n);
      first = Ingest(*f);
      failed = env_.failed_operation();
    }
    ASSERT_FALSE(failed.empty()) << "operation " << n << " of " << total << " was not reached";
    if (!first.ok()) {
      ++surfaced;
      EXPECT_NE(first.message().find("injected fault"), std::string::npos) << first.ToString();
    }
    Status second = Ingest(*f);
    ASSERT_TRUE(second.ok()) << "after failing " << failed << ": " << second.ToString();
    ExpectComplete(*f, "after failing operation " + std::to_string(n) + ": " + failed);
    ASSERT_TRUE(fs::RemoveAll(f->lake().root()).ok());
  }
  // Most failures stop the run (a few hit best-effort clean-ups, which may fail harmlessly).
  EXPECT_GT(surfaced, total / 2);
}

TEST_F(FaultInjectionTest, EveryFailedWriteOfTheLaterStagesIsRecoveredByTheNextRun) {
  // ingest, then fhir, silver and gold with each of their operations failed in turn.
  ExpectEveryFailedRunRecovered(
      [this](int n) {
        auto f = NewLake(n + 1);
        EXPECT_TRUE(Ingest(*f).ok());
        return f;
      },
      [](testing::LakeFixture& f) {
        return f.Rows(
            "SELECT (SELECT count(*) FROM silver.ImagingStudy), (SELECT count(*) FROM "
            "silver.ImagingMetastore), (SELECT count(*) FROM gold.person), (SELECT "
            "count(*) FROM gold.procedure_occurrence), (SELECT count(*) FROM "
            "gold.image_occurrence), (SELECT count(DISTINCT person_id) FROM gold.person)");
      });
}

TEST_F(FaultInjectionTest, EveryFailedWriteCarryingAnOperationIsRecoveredByTheNextRun) {
  // A lake through gold, then a delete of one study and a patch of another recorded; fhir,
  // silver and gold carry them with each of their operations failed in turn, each in a copy of
  // that lake (a lake is relocatable: `cp -a` makes a working lake).
  {
    auto f = NewLake(0);
    EXPECT_TRUE(pipeline::RunAll(f->lake(), f->engine(), Config(*f), {}).ok());
    const auto studies =
        f->Rows("SELECT DISTINCT studyInstanceUid FROM bronze.ImagingDicom ORDER BY 1 LIMIT 2");
    EXPECT_EQ(studies.size(), 2u);
    pipeline::OperationRequest del;
    del.operation = bronze::kSoftDelete;
    del.study_uid = studies.at(0).substr(0, studies[0].size() - 1);
    del.reason = "test";
    EXPECT_TRUE(pipeline::RunOperation(f->lake(), f->engine(), Config(*f), del).ok());
    pipeline::OperationRequest patch = del;
    patch.operation = bronze::kPatch;
    patch.study_uid = studies.at(1).substr(0, studies[1].size() - 1);
    patch.tags_json = R"({"00081030":{"vr":"LO","Value":["Patched"]}})";
    EXPECT_TRUE(pipeline::RunOperation(f->lake(), f->engine(), Config(*f), patch).ok());
  }
  auto prepare = [this](int n) {
    const std::string root = dir_.Sub("copy" + std::to_string(n));
    std::string out;
    EXPECT_EQ(testing::RunCommand("cp -a " + dir_.Sub("lake0") + " " + root, &out), 0) << out;
    return std::make_unique<testing::LakeFixture>(root);
  };
  ExpectEveryFailedRunRecovered(prepare, [](testing::LakeFixture& f) {
    auto rows = f.Rows(
        "SELECT 'study', status, description, numberOfInstances::VARCHAR FROM "
        "silver.ImagingStudy UNION ALL SELECT 'meta', sopInstanceUid, msftIsDeleted::VARCHAR, "
        "md5(metadata_string) FROM silver.ImagingMetastore UNION ALL SELECT 'gold', "
        "(SELECT count(*) FROM gold.procedure_occurrence)::VARCHAR, (SELECT count(*) FROM "
        "gold.image_occurrence)::VARCHAR, NULL ORDER BY ALL");
    // The delete and the patch went through.
    EXPECT_NE(std::find(rows.begin(), rows.end(), "study|entered-in-error||0|"), rows.end());
    EXPECT_NE(std::find(rows.begin(), rows.end(), "study|available|Patched|1|"), rows.end());
    return rows;
  });
}

}  // namespace
}  // namespace dicomlake
