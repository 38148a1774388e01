#include "dicom/values.h"

#include <gtest/gtest.h>

#include "dicom/body_part.h"
#include "dicom/tags.h"

namespace dicomlake::dicom {
namespace {

std::string Iso(std::string_view da) {
  auto d = ParseDate(da);
  return d ? FormatIsoDate(*d) : "invalid";
}

TEST(DicomDateTest, AcceptsFullDatesAndTheAcrNemaForm) {
  EXPECT_EQ(Iso("20240229"), "2024-02-29");
  EXPECT_EQ(Iso("1999.12.31"), "1999-12-31");
  EXPECT_EQ(Iso("20240115 "), "2024-01-15");  // padding
  EXPECT_EQ(Iso(std::string_view("20240115\0", 9)), "2024-01-15");
  EXPECT_EQ(Iso("00010101"), "0001-01-01");
  EXPECT_EQ(Iso("99991231"), "9999-12-31");
}

TEST(DicomDateTest, RefusesPartialImpossibleAndMalformedDates) {
  for (const char* bad : {"20230229",    // not a leap year
                          "19000229",    // century, not a leap year
                          "00000101",    // year 0 does not exist (and FHIR refuses it)
                          "00000000",    // "unknown" as devices write it
                          "2024",        // partial: a DT form, not DA
                          "202401",      // partial
                          "2024-01-01",  // ISO, not DICOM
                          "20241301", "20240100", "20240431", "2024131", "abcdefgh", "",
                          "2024.1.01", "2024011a", "+2024010"}) {
    EXPECT_FALSE(ParseDate(bad).has_value()) << bad;
  }
}

TEST(DicomDateTest, CountsDaysFromTheUnixEpoch) {
  EXPECT_EQ(DaysSinceEpoch({1970, 1, 1}), 0);
  EXPECT_EQ(DaysSinceEpoch({2000, 3, 1}), 11017);
  EXPECT_EQ(DaysSinceEpoch({1969, 12, 31}), -1);
}

struct TimeCase {
  const char* tm;
  const char* micros;  // FormatTimeMicros, or nullptr when refused
  const char* iso;     // FormatIsoTime
};

TEST(DicomTimeTest, ParsesEveryFormOfTm) {
  const TimeCase cases[] = {
      {"10", "10:00:00.000000", "10:00:00"},
      {"1015", "10:15:00.000000", "10:15:00"},
      {"101530", "10:15:30.000000", "10:15:30"},
      {"101530.1", "10:15:30.100000", "10:15:30.1"},
      {"101530.123456", "10:15:30.123456", "10:15:30.123456"},
      {"235960", "23:59:60.000000", "23:59:60"},  // a leap second
      {"10:15", "10:15:00.000000", "10:15:00"},   // ACR-NEMA
      {"10:15:30", "10:15:30.000000", "10:15:30"},
      {"07:27:31.5", "07:27:31.500000", "07:27:31.5"},
      {"101530 ", "10:15:30.000000", "10:15:30"},
  };
  for (const auto& c : cases) {
    auto t = ParseTime(c.tm);
    ASSERT_TRUE(t.has_value()) << c.tm;
    EXPECT_EQ(FormatTimeMicros(*t), c.micros) << c.tm;
    EXPECT_EQ(FormatIsoTime(*t), c.iso) << c.tm;
  }
}

TEST(DicomTimeTest, RefusesMalformedTimes) {
  for (const char* bad : {"",
                          "7",
                          "101",
                          "10153",
                          "2400",
                          "2460",
                          "1061",
                          "256000",
                          "1015.5",          // a fraction needs seconds
                          "0727.5",          // same
                          "101530.",         // empty fraction
                          "101530.1234567",  // more than six digits
                          "10:1",
                          "10:15:",
                          "10:15:3",
                          "1:15:30",
                          "10-15-30",
                          "abc",
                          "10:1530",
                          "1015:30"}) {
    EXPECT_FALSE(ParseTime(bad).has_value()) << bad;
  }
}

TEST(UtcOffsetTest, ParsesOffsetsWithinTheRangeOfTimeZones) {
  EXPECT_EQ(ParseUtcOffset("+0100"), 60);
  EXPECT_EQ(ParseUtcOffset("-0530"), -330);
  EXPECT_EQ(ParseUtcOffset("+0000"), 0);
  EXPECT_EQ(ParseUtcOffset("+1400"), 14 * 60);
  EXPECT_EQ(ParseUtcOffset("-1200"), -12 * 60);
  for (const char* bad : {"+1401", "-1201", "-1300", "0100", "+100", "+0160", "+01:00", ""})
    EXPECT_FALSE(ParseUtcOffset(bad).has_value()) << bad;
  EXPECT_EQ(FormatIsoOffset(60), "+01:00");
  EXPECT_EQ(FormatIsoOffset(-330), "-05:30");
  EXPECT_EQ(FormatIsoOffset(0), "+00:00");
}

TEST(DicomDateTimeTest, ParsesEveryPrecisionWithAndWithoutOffset) {
  struct Case {
    const char* dt;
    const char* iso;
  };
  const Case cases[] = {
      {"2024", "2024"},
      {"202405", "2024-05"},
      {"20240506", "2024-05-06"},
      {"2024050607", "2024-05-06T07:00:00Z"},
      {"202405060708", "2024-05-06T07:08:00Z"},
      {"20240506070809", "2024-05-06T07:08:09Z"},
      {"20240506070809.123", "2024-05-06T07:08:09.123Z"},
      {"20240506070809+0100", "2024-05-06T07:08:09+01:00"},
      {"20240506070809.5-0530", "2024-05-06T07:08:09.5-05:30"},
      {"2024050607+0200", "2024-05-06T07:00:00+02:00"},
  };
  for (const auto& c : cases) {
    auto dt = ParseDateTime(c.dt);
    ASSERT_TRUE(dt.has_value()) << c.dt;
    EXPECT_EQ(FormatIsoDateTime(*dt, "Z"), c.iso) << c.dt;
  }
  EXPECT_EQ(ParseDateTime("20240506070809+0100")->offset_minutes, 60);
  EXPECT_EQ(ParseDateTime("202405")->precision, 2);
}

TEST(DicomDateTimeTest, RefusesMalformedDateTimes) {
  for (const char* bad : {"", "202", "20241", "202413", "20240230", "0000", "2024050624",
                          "20240506.5", "2024050607.5", "20240506070809.1234567",
                          "20240506070809+1500", "20240506070809+01", "2024-05-06"}) {
    EXPECT_FALSE(ParseDateTime(bad).has_value()) << bad;
  }
}

TEST(DicomAgeTest, ParsesAgesInEveryUnit) {
  EXPECT_EQ(ParseAge("045Y")->number, 45);
  EXPECT_EQ(ParseAge("045Y")->unit, 'Y');
  EXPECT_EQ(AgeInYears(*ParseAge("045Y")), 45);
  EXPECT_EQ(AgeInYears(*ParseAge("018M")), 1);
  EXPECT_EQ(AgeInYears(*ParseAge("104W")), 1);
  EXPECT_EQ(AgeInYears(*ParseAge("400D")), 1);
  EXPECT_EQ(AgeInYears(*ParseAge("000D")), 0);
  for (const char* bad : {"45Y", "045", "045y", "045X", "0450Y", "", "Y045"})
    EXPECT_FALSE(ParseAge(bad).has_value()) << bad;
}

TEST(PersonNameTest, SplitsGroupsAndComponents) {
  PersonNameGroups g = SplitPersonName("Yamada^Tarou=山田^太郎=やまだ^たろう");
  EXPECT_EQ(g.alphabetic, "Yamada^Tarou");
  EXPECT_EQ(g.ideographic, "山田^太郎");
  EXPECT_EQ(g.phonetic, "やまだ^たろう");
  EXPECT_EQ(SplitPersonName("=山田").alphabetic, "");
  PersonNameComponents c = SplitNameComponents("Doe^John^Q^Dr^Jr");
  EXPECT_EQ(c.family, "Doe");
  EXPECT_EQ(c.given, "John");
  EXPECT_EQ(c.middle, "Q");
  EXPECT_EQ(c.prefix, "Dr");
  EXPECT_EQ(c.suffix, "Jr");
  EXPECT_EQ(PersonNameDisplay("Doe^John^Q^Dr^Jr"), "Dr John Q Doe Jr");
  EXPECT_EQ(PersonNameDisplay("Doe^John"), "John Doe");
  EXPECT_EQ(PersonNameDisplay("Doe"), "Doe");
  EXPECT_EQ(PersonNameDisplay("^^^"), "");
}

TEST(UidTest, AcceptsDigitComponentsUpTo64Characters) {
  EXPECT_TRUE(IsValidUid("1.2.840.10008.5.1.4.1.1.2"));
  EXPECT_TRUE(IsValidUid(std::string(64, '1')));
  for (const std::string& bad :
       std::vector<std::string>{"", "1..2", "1.2.", ".1.2", "1.2.a", "1.2 ", std::string(65, '1')})
    EXPECT_FALSE(IsValidUid(bad)) << bad;
}

TEST(IntegerStringTest, ParsesIsWithinThe32BitRange) {
  EXPECT_EQ(ParseIntegerString(" +12 "), 12);
  EXPECT_EQ(ParseIntegerString("-7"), -7);
  EXPECT_EQ(ParseIntegerString("2147483647"), 2147483647);
  EXPECT_EQ(ParseIntegerString("-2147483648"), -2147483648LL);
  for (const char* bad : {"1.5", "99999999999", "2147483648", "", "+", "1e3", "12a", " "})
    EXPECT_FALSE(ParseIntegerString(bad).has_value()) << bad;
}

TEST(DecimalStringTest, ValidatesAndWritesJsonNumbers) {
  EXPECT_TRUE(IsDecimalString(" 1.5e-3 ", false));
  EXPECT_TRUE(IsDecimalString("-.5", false));
  EXPECT_TRUE(IsDecimalString("+01", true));
  EXPECT_FALSE(IsDecimalString("1e", false));
  EXPECT_FALSE(IsDecimalString("", false));
  EXPECT_FALSE(IsDecimalString(".", false));
  EXPECT_FALSE(IsDecimalString("1.0", true));
  EXPECT_FALSE(IsDecimalString("1e999", false));  // not finite
  EXPECT_FALSE(IsDecimalString("NaN", false));
  EXPECT_EQ(DecimalStringToJson("+01.50", false), "1.5");
  EXPECT_EQ(DecimalStringToJson("-.5", false), "-0.5");
  EXPECT_EQ(DecimalStringToJson("+007", true), "7");
}

TEST(TagKeyTest, SpellsEachAttributeInEveryForm) {
  static_assert(tag::kStudyInstanceUID.tag() == 0x0020000D);
  EXPECT_STREQ(tag::kStudyInstanceUID.json_key(), "0020000D");
  EXPECT_STREQ(tag::kStudyInstanceUID.keyword(), "StudyInstanceUID");
  EXPECT_EQ(tag::kStudyInstanceUID.Display(), "(0020,000D)");
  EXPECT_EQ(tag::kPatientSex.JsonValuePath(), "$.\"00100040\".Value[0]");
  ASSERT_NE(FindTag("PatientAge"), nullptr);
  EXPECT_EQ(FindTag("PatientAge")->tag(), 0x00101010u);
  EXPECT_EQ(FindTag("NoSuchKeyword"), nullptr);
}

TEST(BodyPartTest, MapsTermsOfPs316TableL1ToSnomed) {
  EXPECT_EQ(BodyPartToSnomed("CHEST")->code, "43799004");
  EXPECT_EQ(BodyPartToSnomed("chest abdomen")->code, "416550000");
  EXPECT_EQ(NormalizeBodyPartTerm("chest_abdomen-x"), "CHESTABDOMENX");
  EXPECT_FALSE(BodyPartToSnomed("PORTABLE CHEST").has_value());
  for (const auto& term : BodyPartTerms()) EXPECT_TRUE(BodyPartToSnomed(term)) << term;
}

}  // namespace
}  // namespace dicomlake::dicom
