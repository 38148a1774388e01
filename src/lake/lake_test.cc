#include "lake/lake.h"

#include <gtest/gtest.h>

#include "common/fs.h"
#include "lake/delta_table.h"
#include "lake/engine.h"
#include "support/test_dir.h"

namespace dicomlake::lake {
namespace {

TEST(LakeTest, LayoutDiscoveryAndViews) {
  testing::TestDir dir;
  Lake lake(dir.Sub("lake"));
  EXPECT_FALSE(lake.Exists());
  EXPECT_NE(lake.CheckExists().message().find("dicomlake init"), std::string::npos);
  ASSERT_TRUE(lake.CreateLayout().ok());
  EXPECT_TRUE(lake.Exists());
  EXPECT_TRUE(fs::IsDirectory(dir.Sub("lake/bronze/Files/Ingest/Imaging/DICOM")));
  auto engine = Engine::Open({1, ""});
  ASSERT_TRUE(engine.ok());
  DeltaTable a(lake.TablePath("bronze", "ImagingDicom"), "bronze/ImagingDicom");
  ASSERT_TRUE(a.Create(**engine, Schema{{StringField("sopInstanceUid")}}).ok());
  ASSERT_TRUE(a.Append(**engine, "SELECT '1.2.3' AS sopInstanceUid").ok());
  DeltaTable b(lake.TablePath("silver", "ImagingStudy"), "silver/ImagingStudy");
  ASSERT_TRUE(b.Create(**engine, Schema{{StringField("id")}}).ok());
  ASSERT_TRUE(fs::MakeDirs(lake.TablePath("gold", "not_a_table")).ok());

  auto tables = lake.DiscoverTables();
  ASSERT_TRUE(tables.ok());
  ASSERT_EQ(tables->size(), 2u);
  EXPECT_EQ((*tables)[0].display(), "bronze/ImagingDicom");
  EXPECT_EQ(lake.FindTable("bronze.ImagingDicom")->name, "ImagingDicom");
  EXPECT_EQ(lake.FindTable("imagingstudy")->lakehouse, "silver");
  EXPECT_EQ(lake.FindTable("gold.nope").status().code(), StatusCode::kNotFound);

  std::vector<std::string> warnings;
  ASSERT_TRUE(lake.RegisterViews(**engine, &warnings).ok());
  EXPECT_TRUE(warnings.empty());
  auto r = (*engine)->Query(
      "SELECT sopInstanceUid FROM bronze.ImagingDicom UNION ALL SELECT id FROM "
      "silver.ImagingStudy");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->rows.size(), 1u);
  EXPECT_EQ(r->rows[0][0].s, "1.2.3");
}

}  // namespace
}  // namespace dicomlake::lake
