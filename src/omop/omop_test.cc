#include <gtest/gtest.h>

#include <map>

#include "common/fs.h"
#include "omop/concept_maps.h"
#include "omop/gold_tables.h"
#include "omop/id_mapping.h"
#include "support/test_dir.h"

namespace dicomlake::omop {
namespace {

using Kind = lake::DataType::Kind;

// The OMOP CDM 5.4 (person, procedure_occurrence) and MI-CDM (image_occurrence) definitions
// are held as data (tests/data/omop_gold_definitions.csv, taken from the official field-level
// CSV and DDL); the gold schemas must start with exactly those columns, in order, with the
// types and nullability they define.
TEST(GoldTables, ColumnsEqualTheOmopDefinitions) {
  auto text = fs::ReadFile(testing::SourceDir() + "/tests/data/omop_gold_definitions.csv");
  ASSERT_TRUE(text.ok());
  auto rows = ParseCsv(*text);
  std::map<std::string, std::vector<std::vector<std::string>>> by_table;
  for (size_t i = 1; i < rows.size(); ++i) by_table[rows[i][0]].push_back(rows[i]);
  std::map<std::string, lake::Schema> schemas = {
      {"person", PersonSchema()},
      {"procedure_occurrence", ProcedureOccurrenceSchema()},
      {"image_occurrence", ImageOccurrenceSchema()}};
  ASSERT_EQ(by_table.size(), 3u);
  for (const auto& [table, defs] : by_table) {
    const lake::Schema& schema = schemas.at(table);
    ASSERT_EQ(StandardColumnCount(schema), static_cast<int>(defs.size())) << table;
    for (size_t k = 0; k < defs.size(); ++k) {
      const auto& f = schema.fields[k];
      std::string column = defs[k][1], required = defs[k][2], type = defs[k][3];
      EXPECT_EQ(f.name, column) << table << " column " << k;
      EXPECT_EQ(!f.nullable, required == "Yes") << table << "." << column;
      Kind want = type == "date"                                      ? Kind::kDate
                  : type == "datetime" || type == "TIMESTAMP"         ? Kind::kTimestamp
                  : type.rfind("varchar", 0) == 0 || type == "STRING" ? Kind::kString
                                                                      : Kind::kInteger;
      EXPECT_EQ(f.type.kind, want) << table << "." << column << " is " << type;
    }
    EXPECT_TRUE(schema.Validate().ok()) << table;
  }
}

TEST(ConceptMaps, ShippedMapsParseWithTheirSources) {
  auto modalities = ShippedModalityConcepts();
  auto body_parts = ShippedBodyPartConcepts();
  ASSERT_GE(modalities.size(), 9u);
  ASSERT_GE(body_parts.size(), 39u);
  std::map<std::string, int32_t> m;
  for (const auto& c : modalities) {
    m[c.source_value] = c.concept_id;
    EXPECT_FALSE(c.source.empty()) << c.source_value;
  }
  EXPECT_EQ(m["CT"], 4300757);
  EXPECT_EQ(m["MR"], 4013636);
  for (const auto& c : body_parts) EXPECT_FALSE(c.source.empty()) << c.source_value;
  EXPECT_EQ(ParseCsv("a,\"b,\"\"c\"\"\"\n1,2\n").at(0).at(1), "b,\"c\"");
}

TEST(IdMapping, PreferredIdsArePositiveAndStable) {
  int32_t a = PreferredId("person", "x");
  EXPECT_EQ(a, PreferredId("person", "x"));
  EXPECT_NE(a, PreferredId("procedure_occurrence", "x"));
  for (int i = 0; i < 1000; ++i) EXPECT_GT(PreferredId("t", std::to_string(i)), 0);
}

}  // namespace
}  // namespace dicomlake::omop
