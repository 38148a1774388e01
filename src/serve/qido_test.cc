#include "serve/qido.h"

#include <gtest/gtest.h>

namespace dicomlake::serve {
namespace {

bool M(const std::string& vr, const std::string& q, std::vector<std::string> v,
       bool fuzzy = false) {
  return MatchValues(vr, q, v, fuzzy);
}

TEST(QidoMatchTest, UniversalMatchingTakesAnythingEvenNothing) {
  EXPECT_TRUE(M("LO", "", {}));
  EXPECT_TRUE(M("LO", "*", {}));
  EXPECT_TRUE(M("PN", "", {"Doe^John"}));
}

TEST(QidoMatchTest, SingleValuesMatchExactlyAndCaseSensitivelyExceptNames) {
  EXPECT_TRUE(M("LO", "ABC", {"ABC"}));
  EXPECT_FALSE(M("LO", "abc", {"ABC"}));
  EXPECT_FALSE(M("LO", "AB", {"ABC"}));
  EXPECT_TRUE(M("PN", "doe^john", {"Doe^John"}));
  EXPECT_FALSE(M("LO", "ABC", {}));          // absent: only universal matching
  EXPECT_FALSE(M("LO", "ABC", {""}));        // empty value likewise
  EXPECT_TRUE(M("CS", "MR", {"CT", "MR"}));  // one of several values
}

TEST(QidoMatchTest, WildcardsCountCharactersNotBytes) {
  EXPECT_TRUE(M("LO", "A*", {"ABC"}));
  EXPECT_TRUE(M("LO", "*B*", {"ABC"}));
  EXPECT_TRUE(M("LO", "A?C", {"ABC"}));
  EXPECT_FALSE(M("LO", "A?", {"ABC"}));
  EXPECT_TRUE(M("PN", "Brown^Chlo?", {"Brown^Chloé"}));  // é is one character
  EXPECT_TRUE(M("PN", "*ИВАН*", {"Иванов^Иван"}));       // Cyrillic folded
  EXPECT_TRUE(M("PN", "иванов*", {"ИВАНОВ^ИВАН"}));
  EXPECT_TRUE(M("PN", "ÉLODIE*", {"élodie^x"}));
  EXPECT_FALSE(M("PN", "*smith*", {"Doe^John"}));
  EXPECT_TRUE(M("LO", "**", {"x"}));
  EXPECT_TRUE(M("LO", "*chest*", {"XR CHEST 2 VIEWS"}));            // wildcards ignore case
  EXPECT_FALSE(M("LO", "xr chest 2 views", {"XR CHEST 2 VIEWS"}));  // exact values do not
}

TEST(QidoMatchTest, ListsOfValues) {
  EXPECT_TRUE(M("CS", "CT\\MR", {"MR"}));
  EXPECT_FALSE(M("CS", "CT\\MR", {"US"}));
  EXPECT_TRUE(M("UI", "1.2.3,1.2.4", {"1.2.4"}));
  EXPECT_TRUE(M("CS", "CT,MR", {"MR"}));
  EXPECT_FALSE(M("LO", "A,B", {"A"}));  // a comma is part of a text value
  EXPECT_TRUE(M("LO", "A,B", {"A,B"}));
  EXPECT_TRUE(M("UI", "1.2.3\\1.2.4", {"1.2.3"}));
  EXPECT_FALSE(M("UI", "1.2.3", {"1.2.30"}));
  EXPECT_FALSE(M("UI", "1.2.*", {"1.2.3"}));  // no wildcards in UIDs
}

TEST(QidoMatchTest, DateAndTimeRangesIncludeTheirBounds) {
  EXPECT_TRUE(M("DA", "20200101-20201231", {"20200101"}));
  EXPECT_TRUE(M("DA", "20200101-20201231", {"20201231"}));
  EXPECT_FALSE(M("DA", "20200101-20201231", {"20210101"}));
  EXPECT_TRUE(M("DA", "-20200101", {"19991231"}));
  EXPECT_TRUE(M("DA", "20200101-", {"20250101"}));
  EXPECT_FALSE(M("DA", "20200101-", {"20191231"}));
  EXPECT_TRUE(M("DA", "20200101", {"20200101"}));
  EXPECT_FALSE(M("DA", "20200101", {"20200102"}));
  EXPECT_TRUE(M("DA", "20200101\\20200105", {"20200105"}));
  EXPECT_TRUE(M("TM", "1000-1200", {"120059.5"}));  // the upper bound's whole minute
  EXPECT_FALSE(M("TM", "1000-1200", {"120100"}));
  EXPECT_TRUE(M("TM", "1000-1200", {"1000"}));
  EXPECT_TRUE(M("TM", "10:00-12:00", {"110000"}));
  EXPECT_TRUE(M("DT", "2020-2021", {"20210630120000"}));
  EXPECT_FALSE(M("DT", "2020-2021", {"20220101"}));
}

TEST(QidoMatchTest, FuzzyNamesMatchWordBeginningsInAnyOrder) {
  EXPECT_TRUE(M("PN", "joh do", {"Doe^John"}, true));
  EXPECT_FALSE(M("PN", "joh do", {"Doe^John"}, false));
  EXPECT_FALSE(M("PN", "jim", {"Doe^John"}, true));
}

TEST(QidoQueryTest, ReadsKeywordsTagsAndControls) {
  auto q = ParseQidoQuery(Level::kStudy, {{"PatientName", "Doe*"},
                                          {"00100020", "P1"},
                                          {"limit", "10"},
                                          {"offset", "5"},
                                          {"fuzzymatching", "true"},
                                          {"includefield", "00081030,StudyDescription"},
                                          {"includefield", "00091001"}});
  ASSERT_TRUE(q.ok()) << q.status().message();
  ASSERT_EQ(q->keys.size(), 2u);
  EXPECT_EQ(q->keys[0].key, "00100010");
  EXPECT_EQ(q->keys[0].vr, "PN");
  EXPECT_EQ(q->keys[1].key, "00100020");
  EXPECT_EQ(q->limit, 10);
  EXPECT_EQ(q->offset, 5);
  EXPECT_TRUE(q->fuzzy);
  EXPECT_EQ(q->include, (std::vector<std::string>{"00081030", "00081030", "00091001"}));
  auto all = ParseQidoQuery(Level::kSeries, {{"includefield", "all"}});
  ASSERT_TRUE(all.ok());
  EXPECT_TRUE(all->include_all);
}

TEST(QidoQueryTest, RefusesWhatItCannotRead) {
  EXPECT_FALSE(ParseQidoQuery(Level::kStudy, {{"NotAKeyword", "x"}}).ok());
  EXPECT_FALSE(ParseQidoQuery(Level::kStudy, {{"limit", "-1"}}).ok());
  EXPECT_FALSE(ParseQidoQuery(Level::kStudy, {{"offset", "x"}}).ok());
  EXPECT_FALSE(ParseQidoQuery(Level::kStudy, {{"fuzzymatching", "yes"}}).ok());
  EXPECT_FALSE(ParseQidoQuery(Level::kStudy, {{"includefield", "Nope"}}).ok());
  auto seq = ParseQidoQuery(Level::kStudy, {{"00400275.00321060", "x"}});
  ASSERT_TRUE(seq.ok());
  EXPECT_EQ(seq->ignored, std::vector<std::string>{"00400275.00321060"});
}

}  // namespace
}  // namespace dicomlake::serve
