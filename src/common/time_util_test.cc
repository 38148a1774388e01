#include "common/time_util.h"

#include <gtest/gtest.h>

namespace dicomlake {
namespace {

TEST(TimeUtilTest, CivilDaysRoundTrip) {
  EXPECT_EQ(DaysFromCivil(1970, 1, 1), 0);
  EXPECT_EQ(DaysFromCivil(2000, 3, 1), 11017);
  EXPECT_EQ(FormatDate(-1), "1969-12-31");
  for (int64_t d = -800000; d < 800000; d += 997) {
    int64_t y;
    unsigned m, day;
    CivilFromDays(d, &y, &m, &day);
    EXPECT_EQ(DaysFromCivil(y, m, day), d);
  }
}

TEST(TimeUtilTest, FormatsTimestamps) {
  int64_t us = (DaysFromCivil(2020, 2, 1) * 86400 + 8 * 3600 + 9 * 60 + 10) * 1000000LL + 123456;
  EXPECT_EQ(FormatTimestampIso(us), "2020-02-01T08:09:10.123456Z");
  EXPECT_EQ(FormatTimestampIso(us, 3), "2020-02-01T08:09:10.123Z");
  EXPECT_EQ(FormatTimestampDisplay(us), "2020-02-01 08:09:10.123456");
  EXPECT_EQ(FormatTimestampIso(-1), "1969-12-31T23:59:59.999999Z");
}

TEST(TimeUtilTest, ParseTimestampIso) {
  EXPECT_EQ(ParseTimestampIso("1970-01-01"), 0);
  EXPECT_EQ(ParseTimestampIso("1970-01-02T00:00:01Z"), int64_t{86401} * 1000000);
  EXPECT_EQ(ParseTimestampIso("2026-12-03 10:00"), ParseTimestampIso("2026-12-03T10:00:00Z"));
  EXPECT_EQ(ParseTimestampIso("2026-12-03T12:00:00+02:00"), ParseTimestampIso("2026-12-03T10:00Z"));
  EXPECT_EQ(ParseTimestampIso("1970-01-01T00:00:00.5Z"), 500000);
  for (const char* bad : {"", "2026", "2026-13-01", "2026-12-03T25:00", "2026-12-03X", "12"})
    EXPECT_FALSE(ParseTimestampIso(bad).has_value()) << bad;
}

}  // namespace
}  // namespace dicomlake
