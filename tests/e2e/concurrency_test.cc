// Writers in several processes: 4 processes append 50 times each to one table at the same time.
// Every commit must land exactly once: versions 1..200 each hold one append, every row once.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lake/delta_table.h"
#include "lake/engine.h"
#include "support/test_dir.h"

namespace dicomlake {
namespace {

constexpr int kProcesses = 4;
constexpr int kAppends = 50;

// Runs in a child process; returns the exit code.
int AppendMany(const std::string& root, int process) {
  auto engine = lake::Engine::Open({1, ""});
  if (!engine.ok()) return 10;
  lake::DeltaTable table(root, "test/concurrent");
  for (int k = 0; k < kAppends; ++k) {
    auto out = table.Append(**engine, "SELECT " + std::to_string(process) + " AS process, " +
                                          std::to_string(k) + " AS seq");
    if (!out.ok()) {
      fprintf(stderr, "process %d append %d: %s\n", process, k, out.status().ToString().c_str());
      return 11;
    }
  }
  return 0;
}

TEST(ConcurrencyTest, FourProcessesAppendingNeverLoseOrDuplicateACommit) {
  testing::TestDir dir;
  std::string root = dir.Sub("t");
  {
    auto engine = lake::Engine::Open({1, ""});
    ASSERT_TRUE(engine.ok());
    lake::DeltaTable table(root, "test/concurrent");
    ASSERT_TRUE(
        table.Create(**engine, lake::Schema{{lake::IntField("process"), lake::IntField("seq")}})
            .ok());
  }
  std::vector<pid_t> children;
  for (int p = 0; p < kProcesses; ++p) {
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) _exit(AppendMany(root, p));
    children.push_back(pid);
  }
  for (pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0);
  }
  auto engine = lake::Engine::Open({1, ""});
  lake::DeltaTable table(root, "test/concurrent");
  EXPECT_EQ(*table.log().LatestVersion(), kProcesses * kAppends);
  for (int64_t v = 1; v <= kProcesses * kAppends; ++v) {
    auto commit = table.log().ReadCommit(v);
    ASSERT_TRUE(commit.ok()) << commit.status().ToString();
    EXPECT_EQ(commit->adds.size(), 1u) << "version " << v;
    EXPECT_TRUE(commit->removes.empty());
  }
  auto snapshot = table.Load(**engine);
  ASSERT_TRUE(snapshot.ok()) << snapshot.status().ToString();
  auto scan = table.ScanSql(*snapshot);
  ASSERT_TRUE(scan.ok());
  auto r = (*engine)->Query("SELECT count(*), count(DISTINCT (process, seq)) FROM (" + *scan + ")");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->rows[0][0].i, kProcesses * kAppends);
  EXPECT_EQ(r->rows[0][1].i, kProcesses * kAppends);
}

}  // namespace
}  // namespace dicomlake
