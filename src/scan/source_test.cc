#include "scan/source.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "common/fs.h"
#include "support/test_dir.h"

namespace dicomlake::scan {
namespace {

void Touch(const std::string& path) {
  ASSERT_TRUE(fs::MakeDirs(path.substr(0, path.rfind('/'))).ok());
  ASSERT_TRUE(fs::WriteFileAtomic(path, "x").ok());
}

// Every file a scanner returns, in batches of `batch`, as "<namespace>:<relative path>".
std::vector<std::string> ScanAll(FolderScanner& scanner, size_t batch,
                                 std::vector<std::string>* refused = nullptr) {
  std::vector<std::string> out;
  for (;;) {
    std::vector<SourceFile> files;
    std::vector<Refusal> refusals;
    EXPECT_TRUE(scanner.Next(batch, &files, &refusals).ok());
    EXPECT_LE(files.size(), batch);
    if (files.empty() && refusals.empty()) return out;
    for (const auto& f : files) out.push_back(f.namespace_name + ":" + f.relative_path);
    for (const auto& r : refusals) {
      if (refused != nullptr) refused->push_back(r.path.substr(r.path.rfind('/') + 1));
    }
  }
}

class FolderScannerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Touch(dir_.Sub("src/HOSP_A/study2/b.dcm"));
    Touch(dir_.Sub("src/HOSP_A/study1/series/a.dcm"));
    Touch(dir_.Sub("src/HOSP_A/study1/c"));
    Touch(dir_.Sub("src/HOSP_A/.hidden/x.dcm"));
    Touch(dir_.Sub("src/HOSP_B/one.dcm"));
    Touch(dir_.Sub("src/loose.dcm"));
    ASSERT_EQ(::symlink("/etc/passwd", dir_.Sub("src/HOSP_B/link.dcm").c_str()), 0);
  }
  testing::TestDir dir_;
};

TEST_F(FolderScannerTest, ListsInAFixedOrderInBatchesWithNamespaces) {
  const std::vector<std::string> want = {"HOSP_A:study1/c", "HOSP_A:study1/series/a.dcm",
                                         "HOSP_A:study2/b.dcm", "HOSP_B:one.dcm",
                                         "default:loose.dcm"};
  for (size_t batch : {1, 2, 1000}) {
    FolderScanner scanner(dir_.Sub("src"), "default", "");
    std::vector<std::string> refused;
    EXPECT_EQ(ScanAll(scanner, batch, &refused), want) << "batch " << batch;
    EXPECT_EQ(refused, std::vector<std::string>{"link.dcm"});  // links are never followed
  }
  auto count = CountFolderEntries(dir_.Sub("src"), "default", "");
  ASSERT_TRUE(count.ok());
  EXPECT_EQ(*count, 6);  // 5 files and the refused link
}

TEST_F(FolderScannerTest, OnlyOneNamespace) {
  FolderScanner scanner(dir_.Sub("src"), "default", "HOSP_B");
  EXPECT_EQ(ScanAll(scanner, 10), std::vector<std::string>{"HOSP_B:one.dcm"});
  FolderScanner loose(dir_.Sub("src"), "default", "default");
  EXPECT_EQ(ScanAll(loose, 10), std::vector<std::string>{"default:loose.dcm"});
}

TEST_F(FolderScannerTest, ALabelNamesTheNamespaceOfEveryFile) {
  FolderScanner scanner(dir_.Sub("src"), "default", "", "mydata");
  std::vector<std::string> refused;
  EXPECT_EQ(ScanAll(scanner, 2, &refused),
            (std::vector<std::string>{"mydata:HOSP_A/study1/c", "mydata:HOSP_A/study1/series/a.dcm",
                                      "mydata:HOSP_A/study2/b.dcm", "mydata:HOSP_B/one.dcm",
                                      "mydata:loose.dcm"}));
  EXPECT_EQ(refused, std::vector<std::string>{"link.dcm"});
  auto count = CountFolderEntries(dir_.Sub("src"), "default", "", "mydata");
  ASSERT_TRUE(count.ok());
  EXPECT_EQ(*count, 6);
}

TEST_F(FolderScannerTest, FilesReturnedMayBeDeletedWhileTheScanGoesOn) {
  FolderScanner scanner(dir_.Sub("src"), "default", "");
  std::vector<std::string> seen;
  for (;;) {
    std::vector<SourceFile> files;
    std::vector<Refusal> refused;
    ASSERT_TRUE(scanner.Next(2, &files, &refused).ok());
    if (files.empty() && refused.empty()) break;
    for (const auto& f : files) {
      seen.push_back(f.relative_path);
      ASSERT_TRUE(fs::RemoveFile(f.path).ok());  // what the Ingest pattern does after a batch
    }
  }
  EXPECT_EQ(seen.size(), 5u);
}

TEST(FolderScanner, MissingRootIsNotFound) {
  testing::TestDir dir;
  FolderScanner scanner(dir.Sub("nope"), "default", "");
  std::vector<SourceFile> files;
  std::vector<Refusal> refused;
  auto st = scanner.Next(10, &files, &refused);
  EXPECT_EQ(st.code(), StatusCode::kNotFound);
  EXPECT_NE(st.message().find("nope"), std::string::npos);
}

}  // namespace
}  // namespace dicomlake::scan
