// A full disk during `dicomlake run`: the lake lives on a small tmpfs that the test mounts and
// fills. The run must stop with a message that says the disk is full and where, with the I/O
// exit code; the lake must still be a valid Delta lake; and once space is freed a second run must
// finish the work with nothing lost and nothing twice.
//
// Mounting needs CAP_SYS_ADMIN (root on the CI machine); without it the test is skipped with a
// message.
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/statvfs.h>

#include <cerrno>
#include <cstring>

#include "common/fs.h"
#include "sample/sample.h"
#include "support/delta_conformance.h"
#include "support/lake_fixture.h"
#include "support/test_dir.h"

namespace dicomlake {
namespace {

// A size-limited tmpfs at `path`, unmounted on destruction.
class TmpfsMount {
 public:
  TmpfsMount(const std::string& path, const std::string& size) : path_(path) {
    if (!fs::MakeDirs(path).ok()) return;
    std::string options = "size=" + size;
    if (::mount("tmpfs", path.c_str(), "tmpfs", 0, options.c_str()) == 0) {
      mounted_ = true;
    } else {
      error_ = std::strerror(errno);
    }
  }
  ~TmpfsMount() {
    if (mounted_) ::umount2(path_.c_str(), MNT_DETACH);
  }
  bool mounted() const { return mounted_; }
  const std::string& error() const { return error_; }

 private:
  std::string path_;
  bool mounted_ = false;
  std::string error_;
};

int64_t FreeBytes(const std::string& path) {
  struct statvfs s {};
  if (::statvfs(path.c_str(), &s) != 0) return -1;
  return static_cast<int64_t>(s.f_bavail) * static_cast<int64_t>(s.f_frsize);
}

// Fills the file system of `dir` until `leave` bytes are free, with one file.
void FillUntil(const std::string& file, const std::string& dir, int64_t leave) {
  int64_t n = FreeBytes(dir) - leave;
  ASSERT_GT(n, 0) << "the file system is already fuller than the test needs";
  std::string cmd = "head -c " + std::to_string(n) + " /dev/zero > " + file;
  std::string out;
  ASSERT_EQ(testing::RunCommand(cmd, &out, true), 0) << out;
}

// The free space left before the run, so that the disk fills at different steps: early and
// late among the Process copies, and at bronze's data file (measured on Debian 12's tmpfs: the
// run of this sample needs about 3.34 MB; below about 3.17 MB the Process copies fill the disk,
// up to about 3.28 MB bronze's data file). The steps after a commit are covered
// deterministically by the fault-injection tests.
class DiskFullTest : public ::testing::TestWithParam<int64_t> {};

TEST_P(DiskFullTest, RunStopsWithANoSpaceErrorAndResumesWithNothingLostOrDuplicated) {
  testing::TestDir dir(/*check_delta=*/false);
  TmpfsMount mount(dir.Sub("small-disk"), "48m");
  if (!mount.mounted())
    GTEST_SKIP() << "cannot mount a tmpfs here (" << mount.error()
                 << "); the disk-full test needs CAP_SYS_ADMIN";
  std::string lake = dir.Sub("small-disk/lake");
  testing::LakeFixture f(lake);
  std::string out;
  ASSERT_EQ(f.Cli("init " + lake, &out), 0) << out;
  ASSERT_EQ(f.Cli("sample " + lake + " --scale 0.1 --no-archives --threads 2", &out), 0) << out;
  sample::SampleCounts planned = sample::PlannedCounts(0.1);

  // Less room than the run needs: it must fail part-way.
  std::string ballast = dir.Sub("small-disk/ballast");
  FillUntil(ballast, dir.Sub("small-disk"), GetParam());
  int rc = f.Cli("run " + lake, &out);
  EXPECT_EQ(rc, 4) << "the I/O exit code; output:\n" << out;
  EXPECT_NE(out.find("no space left on the device"), std::string::npos) << out;
  EXPECT_NE(out.find(lake), std::string::npos) << "the message names where:\n" << out;

  // Whatever was committed is a valid Delta lake.
  std::vector<std::string> problems = testing::CheckAllTablesUnder(lake);
  EXPECT_TRUE(problems.empty()) << problems.front();

  // Space again: the next run completes the work exactly once.
  ASSERT_TRUE(fs::RemoveFile(ballast).ok());
  rc = f.Cli("run " + lake, &out);
  ASSERT_EQ(rc, 3) << out;  // the sample's one file that is not DICOM
  EXPECT_EQ(f.Count("SELECT count(*) FROM bronze.ImagingDicom"), planned.instances);
  EXPECT_EQ(f.Count("SELECT count(DISTINCT sopInstanceUid) FROM bronze.ImagingDicom"),
            planned.instances);
  EXPECT_EQ(f.Count("SELECT count(*) FROM silver.ImagingStudy"), planned.studies);
  EXPECT_EQ(f.Count("SELECT count(*) FROM gold.image_occurrence"), planned.series);
  EXPECT_EQ(f.Count("SELECT count(*) FROM gold.procedure_occurrence"), planned.studies);
  // Every original is in Process (or Failed), none left behind in Ingest.
  std::string left;
  ASSERT_EQ(
      testing::RunCommand("find " + lake + "/bronze/Files/Ingest/Imaging -type f | wc -l", &left),
      0);
  EXPECT_EQ(left, "0\n");
  problems = testing::CheckAllTablesUnder(lake);
  EXPECT_TRUE(problems.empty()) << problems.front();
}

INSTANTIATE_TEST_SUITE_P(FreeBytes, DiskFullTest, ::testing::Values(100'000, 1'500'000, 3'230'000));

}  // namespace
}  // namespace dicomlake
