#include "lake/engine.h"

#include <gtest/gtest.h>

namespace dicomlake::lake {
namespace {

std::unique_ptr<Engine> OpenEngine() {
  auto e = Engine::Open({1, ""});
  EXPECT_TRUE(e.ok()) << e.status().ToString();
  return std::move(*e);
}

TEST(EngineTest, ReadsPrimitiveAndNestedValues) {
  auto engine = OpenEngine();
  auto r = engine->Query(
      "SELECT 42 AS i, 1.5::DOUBLE AS d, 'x''y' AS s, NULL::VARCHAR AS n, DATE '2020-02-01' AS dt, "
      "TIMESTAMPTZ '2020-02-01 08:09:10.123456+00' AS ts, 12.50::DECIMAL(10,2) AS dec, [1, NULL, "
      "3] AS l, "
      "{'a': 1, 'b': ['p']} AS st, MAP {'k': 2} AS m, true AS b");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->rows.size(), 1u);
  const Row& row = r->rows[0];
  EXPECT_EQ(row[0], Value::Int(42));
  EXPECT_EQ(row[1], Value::Double(1.5));
  EXPECT_EQ(row[2], Value::String("x'y"));
  EXPECT_TRUE(row[3].is_null());
  EXPECT_EQ(row[4].ToJson(), "\"2020-02-01\"");
  EXPECT_EQ(row[5].ToJson(), "\"2020-02-01T08:09:10.123456Z\"");
  EXPECT_EQ(row[6].ToDisplay(), "12.50");
  EXPECT_EQ(row[6].ToJson(), "12.5");
  EXPECT_EQ(row[7].ToJson(), "[1,null,3]");
  EXPECT_EQ(row[8].ToJson(), R"({"a":1,"b":["p"]})");
  EXPECT_EQ(row[9].ToJson(), R"({"k":2})");
  EXPECT_EQ(row[10], Value::Bool(true));
  EXPECT_EQ(r->column_types[7], "INTEGER[]");
}

TEST(EngineTest, ReadsManyChunks) {
  auto engine = OpenEngine();
  auto r = engine->Query("SELECT range AS i, 'v' || range AS s FROM range(5000)");
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->rows.size(), 5000u);
  EXPECT_EQ(r->rows[4999][1], Value::String("v4999"));
}

TEST(EngineTest, AppenderConvertsNestedValues) {
  auto engine = OpenEngine();
  ASSERT_TRUE(
      engine
          ->Execute("CREATE TABLE t (id BIGINT, tags VARCHAR[], s STRUCT(a INTEGER, b VARCHAR), "
                    "m MAP(VARCHAR, BIGINT), ts TIMESTAMPTZ, d DATE)")
          .ok());
  auto app = engine->OpenAppender("t");
  ASSERT_TRUE(app.ok()) << app.status().ToString();
  Row row{Value::Int(1),
          Value::List({Value::String("a"), Value::Null()}),
          Value::Struct({"a", "b"}, {Value::Int(7), Value::String("z")}),
          Value::Map({Value::String("k"), Value::Int(9)}),
          Value::Timestamp(1000000),
          Value::Date(1)};
  ASSERT_TRUE((*app)->AppendRow(row).ok());
  ASSERT_TRUE((*app)
                  ->AppendRow({Value::Int(2), Value::Null(), Value::Null(), Value::Null(),
                               Value::Null(), Value::Null()})
                  .ok());
  EXPECT_FALSE((*app)->AppendRow({Value::Int(3)}).ok());
  // Empty lists and maps are values too, not NULL.
  ASSERT_TRUE((*app)
                  ->AppendRow({Value::Int(4), Value::List({}), Value::Null(), Value::Map({}),
                               Value::Null(), Value::Null()})
                  .ok());
  ASSERT_TRUE((*app)->Close().ok());
  auto r = engine->Query("SELECT * FROM t ORDER BY id");
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->rows.size(), 3u);
  EXPECT_EQ(r->rows[0], row);
  EXPECT_EQ(r->rows[2][1].ToJson(), "[]");
  EXPECT_EQ(r->rows[2][3].ToJson(), "{}");
}

TEST(EngineTest, AppenderStoresMalformedUtf8AsReplacementCharacters) {
  auto engine = OpenEngine();
  ASSERT_TRUE(engine->Execute("CREATE TABLE s (v VARCHAR, l VARCHAR[])").ok());
  auto app = engine->OpenAppender("s");
  ASSERT_TRUE(app.ok());
  ASSERT_TRUE(
      (*app)
          ->AppendRow({Value::String("M\xFCller"), Value::List({Value::String("\xC0\xAF")})})
          .ok());
  ASSERT_TRUE((*app)->Close().ok());
  auto r = engine->Query("SELECT v, l[1] FROM s");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->rows[0][0].s, "M\xEF\xBF\xBDller");
  EXPECT_EQ(r->rows[0][1].s, "\xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST(EngineTest, ScriptsReturnOneResultPerStatementAndErrorsCarryTheMessage) {
  auto engine = OpenEngine();
  auto r =
      engine->RunScript("CREATE TABLE x AS SELECT 1 AS a; SELECT a + 1 AS b FROM x; -- done\n");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[1].rows[0][0], Value::Int(2));
  auto bad = engine->Query("SELECT * FROM nope");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("nope"), std::string::npos);
  EXPECT_TRUE(engine->RunScript("  -- nothing\n").ok());
}

}  // namespace
}  // namespace dicomlake::lake
