// The data files dicomlake writes, read by a second Parquet implementation (hyparquet, under
// node): row counts and values must match what was written.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "common/fs.h"
#include "lake/delta_table.h"
#include "lake/engine.h"
#include "support/test_dir.h"

namespace dicomlake {
namespace {

using nlohmann::json;

TEST(IndependentReaderTest, HyparquetReadsWhatWasWritten) {
  std::string modules = testing::SourceDir() + "/.deps/node/node_modules";
  std::string out;
  if (testing::RunCommand("node --version", &out) != 0 || !fs::Exists(modules + "/hyparquet")) {
    if (std::getenv("CI")) FAIL() << "node or hyparquet missing: scripts/setup installs them";
    GTEST_SKIP() << "node or hyparquet missing (run scripts/setup)";
  }
  testing::TestDir dir;
  auto engine = lake::Engine::Open({1, ""});
  ASSERT_TRUE(engine.ok());
  using lake::DataType;
  lake::Schema schema{{
      lake::StringField("s"),
      lake::LongField("l"),
      lake::IntField("i"),
      lake::DoubleField("d"),
      lake::BoolField("b"),
      lake::DateField("dt"),
      lake::TimestampField("ts"),
      lake::MakeField("list", DataType::Array(DataType::Primitive(DataType::Kind::kString))),
      lake::MakeField("st", DataType::Struct({lake::StringField("x"), lake::IntField("y")})),
      lake::MakeField("m", DataType::Map(DataType::Primitive(DataType::Kind::kString),
                                         DataType::Primitive(DataType::Kind::kLong))),
  }};
  lake::DeltaTable table(dir.Sub("t"), "test/types");
  ASSERT_TRUE(table.Create(**engine, schema).ok());
  auto written =
      table.Append(**engine,
                   "SELECT 'Müller^Jörg' AS s, 9007199254740993 AS l, -7 AS i, 2.5 AS d, true AS "
                   "b, DATE '1999-12-31' AS dt, "
                   "TIMESTAMPTZ '2024-05-06 07:08:09.123456+00' AS ts, ['a', NULL] AS list, {'x': "
                   "'p', 'y': 3} AS st, "
                   "MAP {'k': 5} AS m "
                   "UNION ALL SELECT NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL");
  ASSERT_TRUE(written.ok()) << written.status().ToString();
  auto snapshot = table.Load(**engine);
  ASSERT_EQ(snapshot->files.size(), 1u);
  std::string file = fs::Join(table.root(), snapshot->files.begin()->first);

  int rc = testing::RunCommand(
      "node " + testing::SourceDir() + "/tests/tools/read_parquet.mjs " + modules + " " + file,
      &out, true);
  ASSERT_EQ(rc, 0) << out;
  json doc = json::parse(out);
  EXPECT_EQ(doc["columns"], json({"s", "l", "i", "d", "b", "dt", "ts", "list", "st", "m"}));
  ASSERT_EQ(doc["rows"].size(), 2u);
  const json& row = doc["rows"][0];
  EXPECT_EQ(row["s"], "Müller^Jörg");
  EXPECT_EQ(row["l"], "9007199254740993");
  EXPECT_EQ(row["i"], -7);
  EXPECT_EQ(row["d"], 2.5);
  EXPECT_EQ(row["b"], true);
  EXPECT_EQ(row["dt"], "1999-12-31T00:00:00.000Z");
  EXPECT_EQ(row["ts"], "2024-05-06T07:08:09.123Z");  // JavaScript dates hold milliseconds
  EXPECT_EQ(row["list"], json({"a", nullptr}));
  EXPECT_EQ(row["st"], json({{"x", "p"}, {"y", 3}}));
  EXPECT_EQ(row["m"], json({{"k", "5"}}));
  for (const auto& [k, v] : doc["rows"][1].items()) EXPECT_TRUE(v.is_null()) << k;
}

}  // namespace
}  // namespace dicomlake
