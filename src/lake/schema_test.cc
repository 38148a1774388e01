#include "lake/schema.h"

#include <gtest/gtest.h>

namespace dicomlake::lake {
namespace {

// The nested example of PROTOCOL "Schema Serialization Format", verbatim.
constexpr const char* kProtocolExample =
    R"({"type":"struct","fields":[{"name":"a","type":"integer","nullable":false,"metadata":{}},)"
    R"({"name":"b","type":{"type":"struct","fields":[{"name":"d","type":"integer","nullable":false,"metadata":{}}]},"nullable":true,"metadata":{}},)"
    R"({"name":"c","type":{"type":"array","elementType":"integer","containsNull":false},"nullable":true,"metadata":{}},)"
    R"({"name":"e","type":{"type":"array","elementType":{"type":"struct","fields":[{"name":"d","type":"integer","nullable":false,"metadata":{}}]},"containsNull":true},"nullable":true,"metadata":{}},)"
    R"({"name":"f","type":{"type":"map","keyType":"string","valueType":"string","valueContainsNull":true},"nullable":true,"metadata":{}}]})";

TEST(SchemaTest, ParsesAndReserialisesTheProtocolExample) {
  auto schema = Schema::FromJson(kProtocolExample);
  ASSERT_TRUE(schema.ok()) << schema.status().ToString();
  ASSERT_EQ(schema->fields.size(), 5u);
  EXPECT_FALSE(schema->fields[0].nullable);
  EXPECT_EQ(schema->fields[1].type.kind, DataType::Kind::kStruct);
  EXPECT_FALSE(schema->fields[2].type.contains_null);
  EXPECT_EQ(schema->fields[4].type.kind, DataType::Kind::kMap);
  EXPECT_EQ(schema->ToJson(), kProtocolExample);
}

TEST(SchemaTest, DuckDbTypes) {
  auto schema = Schema::FromJson(kProtocolExample);
  ASSERT_TRUE(schema.ok());
  EXPECT_EQ(
      schema->DuckDbColumns(),
      R"("a" INTEGER, "b" STRUCT("d" INTEGER), "c" INTEGER[], "e" STRUCT("d" INTEGER)[], "f" MAP(VARCHAR, VARCHAR))");
  EXPECT_EQ(TimestampField("t").type.DuckDbType(), "TIMESTAMPTZ");
  EXPECT_EQ(DataType::Decimal(12, 5).DuckDbType(), "DECIMAL(12,5)");
}

TEST(SchemaTest, AllPrimitivesRoundTrip) {
  Schema s{{StringField("s"), LongField("l"), IntField("i"), DoubleField("d"), BoolField("b"),
            DateField("dt"), TimestampField("ts"), MakeField("dec", DataType::Decimal(38, 10)),
            MakeField("bin", DataType::Primitive(DataType::Kind::kBinary))}};
  auto back = Schema::FromJson(s.ToJson());
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, s);
}

TEST(SchemaTest, ValidationRejectsWhatSparkRejects) {
  EXPECT_FALSE((Schema{{StringField("a b")}}).Validate().ok());
  EXPECT_FALSE((Schema{{StringField("x"), StringField("X")}}).Validate().ok());
  EXPECT_FALSE((Schema{{MakeField("d", DataType::Decimal(39, 0))}}).Validate().ok());
  EXPECT_FALSE(Schema{}.Validate().ok());
  EXPECT_TRUE((Schema{{StringField("studyInstanceUid")}}).Validate().ok());
}

TEST(SchemaTest, MalformedSchemaStringsAreCorrupt) {
  EXPECT_EQ(Schema::FromJson("{").status().code(), StatusCode::kCorrupt);
  EXPECT_EQ(Schema::FromJson(R"({"type":"array"})").status().code(), StatusCode::kCorrupt);
  EXPECT_EQ(Schema::FromJson(R"({"type":"struct","fields":[{"name":"a","type":"variant"}]})")
                .status()
                .code(),
            StatusCode::kUnsupported);
}

}  // namespace
}  // namespace dicomlake::lake
