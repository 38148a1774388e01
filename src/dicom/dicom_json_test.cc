#include "dicom/dicom_json.h"
#include "dicom/values.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace dicomlake::dicom {
namespace {

using nlohmann::json;

Element Text(uint32_t tag, const char* vr, std::vector<std::optional<std::string>> values) {
  Element e;
  e.tag = tag;
  e.vr = vr;
  e.strings = std::move(values);
  return e;
}

json Render(std::vector<Element> data, std::vector<Element> meta = {}) {
  Dataset d{std::move(data)}, m{std::move(meta)};
  return json::parse(ToDicomJson(m, d));
}

TEST(DicomJsonTest, PersonNamesAreComponentGroups) {
  json j = Render({Text(Tag(0x0010, 0x0010), "PN",
                        {"Yamada^Tarou=山田^太郎=やまだ^たろう", "Smith^J", std::nullopt})});
  EXPECT_EQ(j["00100010"]["vr"], "PN");
  EXPECT_EQ(j["00100010"]["Value"][0]["Alphabetic"], "Yamada^Tarou");
  EXPECT_EQ(j["00100010"]["Value"][0]["Ideographic"], "山田^太郎");
  EXPECT_EQ(j["00100010"]["Value"][0]["Phonetic"], "やまだ^たろう");
  EXPECT_EQ(j["00100010"]["Value"][1], json({{"Alphabetic", "Smith^J"}}));
  EXPECT_TRUE(j["00100010"]["Value"][2].is_null());
  // Only an ideographic group: the alphabetic one is left out.
  json k = Render({Text(Tag(0x0010, 0x0010), "PN", {"=山田"})});
  EXPECT_EQ(k["00100010"]["Value"][0], json({{"Ideographic", "山田"}}));
}

TEST(DicomJsonTest, DecimalAndIntegerStringsAreNumbersWhenValid) {
  json j = Render({Text(Tag(0x0018, 0x0050), "DS", {"2.50", "+1e3", ".5", "abc"}),
                   Text(Tag(0x0020, 0x0013), "IS", {"007", "-3", "1.5"})});
  EXPECT_EQ(j["00180050"]["Value"], json({2.5, 1000.0, 0.5, "abc"}));
  EXPECT_EQ(j["00200013"]["Value"], json({7, -3, "1.5"}));
  EXPECT_TRUE(IsDecimalString(" 1.5e-3 ", false));
  EXPECT_FALSE(IsDecimalString("1e", false));
  EXPECT_FALSE(IsDecimalString("", false));
  EXPECT_FALSE(IsDecimalString("1.0", true));
}

TEST(DicomJsonTest, EmptyValuesHaveOnlyTheVr) {
  json j = Render(
      {Text(Tag(0x0008, 0x0050), "SH", {}), Text(Tag(0x0008, 0x0090), "PN", {std::nullopt})});
  EXPECT_EQ(j["00080050"], json({{"vr", "SH"}}));
  EXPECT_EQ(j["00080090"], json({{"vr", "PN"}}));
}

TEST(DicomJsonTest, MetaMergesSortedAndGroupLengthsAreLeftOut) {
  Element group_length;
  group_length.tag = Tag(0x0002, 0x0000);
  group_length.vr = "UL";
  group_length.numbers = {"190"};
  std::string text = ToDicomJson(
      Dataset{{group_length, Text(Tag(0x0002, 0x0010), "UI", {"1.2.840.10008.1.2.1"})}},
      Dataset{{Text(Tag(0x0008, 0x0060), "CS", {"CT"}), Text(Tag(0x0010, 0x0020), "LO", {"P1"})}});
  EXPECT_EQ(
      text,
      R"({"00020010":{"vr":"UI","Value":["1.2.840.10008.1.2.1"]},"00080060":{"vr":"CS","Value":["CT"]},)"
      R"("00100020":{"vr":"LO","Value":["P1"]}})");
}

TEST(DicomJsonTest, NumbersTagsBinaryAndSequences) {
  Element rows;
  rows.tag = Tag(0x0028, 0x0010);
  rows.vr = "US";
  rows.numbers = {"512"};
  Element at;
  at.tag = Tag(0x0020, 0x5000);
  at.vr = "AT";
  at.numbers = {"00100010"};
  Element small;
  small.tag = Tag(0x0009, 0x1010);
  small.vr = "OB";
  small.binary = std::string("\x01\x02\x03", 3);
  Element big;
  big.tag = Tag(0x7FE0, 0x0010);
  big.vr = "OW";
  big.bulk = BulkLocation{1234, 524288};
  Element seq;
  seq.tag = Tag(0x0008, 0x1110);
  seq.vr = "SQ";
  seq.items.push_back(Dataset{{Text(Tag(0x0008, 0x1155), "UI", {"1.2.3"})}});
  seq.items.push_back(Dataset{});
  JsonOptions options;
  options.bulk_uri_base = "file:///x.dcm";
  Dataset d{{seq, Text(Tag(0x0009, 0x0010), "LO", {"ACME 1.0"}), small, rows, at, big}};
  std::sort(d.elements.begin(), d.elements.end(),
            [](const Element& a, const Element& b) { return a.tag < b.tag; });
  json j = json::parse(ToDicomJson(Dataset{}, d, options));
  EXPECT_EQ(j["00280010"]["Value"], json({512}));
  EXPECT_EQ(j["00205000"]["Value"], json({"00100010"}));
  EXPECT_EQ(j["00091010"]["InlineBinary"], "AQID");
  EXPECT_EQ(j["00090010"]["Value"], json({"ACME 1.0"}));
  EXPECT_EQ(j["7FE00010"]["BulkDataURI"], "file:///x.dcm?offset=1234&length=524288");
  EXPECT_EQ(j["00081110"]["Value"][0]["00081155"]["Value"][0], "1.2.3");
  EXPECT_EQ(j["00081110"]["Value"][1], json::object());
}

TEST(DicomJsonTest, TextIsEscapedAndInvalidUtf8Replaced) {
  json j = Render(
      {Text(Tag(0x0008, 0x1030), "LO", {"a \"quoted\" \\ line\n", std::string("caf\xE9", 4)})});
  EXPECT_EQ(j["00081030"]["Value"][0], "a \"quoted\" \\ line\n");
  EXPECT_EQ(j["00081030"]["Value"][1], "caf\xEF\xBF\xBD");
}

}  // namespace
}  // namespace dicomlake::dicom
