#include "common/csv.h"

#include <gtest/gtest.h>

namespace dicomlake {
namespace {

TEST(CsvTest, FieldsRoundTrip) {
  const std::vector<std::string> values = {"plain", "a,b", "say \"hi\"", "two\nlines", ""};
  std::string text;
  for (size_t i = 0; i < values.size(); ++i) text += (i ? "," : "") + CsvField(values[i]);
  text += "\r\nlast,row\n";
  auto records = ParseCsv(text);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0], values);
  EXPECT_EQ(records[1], (std::vector<std::string>{"last", "row"}));
  EXPECT_EQ(CsvField("a,b"), "\"a,b\"");
  EXPECT_TRUE(ParseCsv("").empty());
  EXPECT_EQ(ParseCsv("x").size(), 1u);  // no line break at the end
}

}  // namespace
}  // namespace dicomlake
