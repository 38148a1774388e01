#include "pipeline/admin_tables.h"

#include <gtest/gtest.h>

#include "common/fs.h"
#include "lake/delta_table.h"
#include "lake/engine.h"
#include "lake/lake.h"
#include "support/test_dir.h"

namespace dicomlake::pipeline {
namespace {

TEST(AdminTablesTest, InitCreatesLakeOnceAndKeepsAnExistingConfiguration) {
  testing::TestDir dir;
  lake::Lake lake(dir.Sub("lake"));
  auto engine = lake::Engine::Open({1, ""});
  ASSERT_TRUE(engine.ok());
  auto first = InitLake(lake, **engine);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_TRUE(first->created_config);
  EXPECT_EQ(first->tables_created, 3);
  ASSERT_TRUE(
      fs::WriteFileAtomic(lake.ConfigPath(), R"({"delta": {"checkpoint_interval": 3}})").ok());
  auto second = InitLake(lake, **engine);
  ASSERT_TRUE(second.ok());
  EXPECT_FALSE(second->created_config);
  EXPECT_EQ(second->tables_created, 0);
  EXPECT_EQ(*fs::ReadFile(lake.ConfigPath()), R"({"delta": {"checkpoint_interval": 3}})");
  auto tables = lake.DiscoverTables();
  ASSERT_EQ(tables->size(), 3u);
  for (const auto& t : *tables) {
    lake::DeltaTable table(t.root, t.display());
    EXPECT_EQ(table.Load(**engine)->version, 0) << t.display();
  }
}

}  // namespace
}  // namespace dicomlake::pipeline
