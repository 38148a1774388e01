#include "deid/keyed.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <set>

#include "common/fs.h"
#include "common/sha256.h"
#include "support/test_dir.h"

namespace dicomlake::deid {
namespace {

Key TestKey(char c = 'k') { return Key::FromBytes(std::string(32, c)); }

TEST(KeyedTest, NewUidIsTheDecimalOfTheFirst128BitsOfTheMac) {
  Key key = TestKey();
  const std::string old_uid = "1.2.840.113619.2.55.3.604688119.969.1268071029.320";
  std::string uid = key.NewUid(old_uid);
  // Recomputed here from the MAC with plain long division, independently of NewUid's arithmetic.
  std::string mac = HmacSha256(std::string(32, 'k'), old_uid).substr(0, 16);
  std::vector<int> number(mac.begin(), mac.end());
  for (int& b : number) b &= 0xFF;
  std::string decimal;
  while (!number.empty()) {
    int rest = 0;
    std::vector<int> next;
    for (int b : number) {
      int cur = rest * 256 + b;
      if (!next.empty() || cur / 10 != 0) next.push_back(cur / 10);
      rest = cur % 10;
    }
    decimal.insert(decimal.begin(), static_cast<char>('0' + rest));
    number = next;
  }
  EXPECT_EQ(uid, "2.25." + decimal);
  EXPECT_LE(uid.size(), 44u);                    // 2.25. + at most 39 digits
  EXPECT_EQ(key.NewUid(old_uid), uid);           // deterministic
  EXPECT_NE(TestKey('j').NewUid(old_uid), uid);  // keyed
  EXPECT_NE(key.NewUid(old_uid + "1"), uid);
}

TEST(KeyedTest, PseudonymsAreStableHexAndKeyed) {
  Key key = TestKey();
  std::string p = key.PatientPseudonym("PAT-0001");
  EXPECT_EQ(p.size(), 16u);
  EXPECT_EQ(p.find_first_not_of("0123456789ABCDEF"), std::string::npos);
  EXPECT_EQ(key.PatientPseudonym("PAT-0001"), p);
  EXPECT_NE(key.PatientPseudonym("PAT-0002"), p);
  EXPECT_NE(TestKey('j').PatientPseudonym("PAT-0001"), p);
}

TEST(KeyedTest, DateShiftsStayInRangeAreNeverZeroAndSpreadOut) {
  Key key = TestKey();
  std::set<int> seen;
  for (int i = 0; i < 2000; ++i) {
    int d = key.DateShiftDays("P" + std::to_string(i), -3, 3);
    EXPECT_GE(d, -3);
    EXPECT_LE(d, 3);
    EXPECT_NE(d, 0);
    seen.insert(d);
  }
  EXPECT_EQ(seen.size(), 6u);  // every value but 0 occurs
  EXPECT_EQ(key.DateShiftDays("P1", -365, -30), key.DateShiftDays("P1", -365, -30));
  int only_negative = key.DateShiftDays("P1", -365, -30);
  EXPECT_GE(only_negative, -365);
  EXPECT_LE(only_negative, -30);
  EXPECT_EQ(key.DateShiftDays("P1", 0, 0), 0);  // no value but 0: refused by callers
}

TEST(KeyedTest, KeyFileIsCreatedOnceOwnerOnlyAndReadBack) {
  testing::TestDir dir;
  std::string path = dir.Sub("research.key");
  bool created = false;
  auto first = Key::LoadOrCreate(path, &created);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_TRUE(created);
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto again = Key::LoadOrCreate(path, &created);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(created);
  EXPECT_EQ(again->NewUid("1.2.3"), first->NewUid("1.2.3"));
  auto other = Key::LoadOrCreate(dir.Sub("other.key"));
  ASSERT_TRUE(other.ok());
  EXPECT_NE(other->NewUid("1.2.3"), first->NewUid("1.2.3"));  // random keys differ
  ASSERT_TRUE(fs::WriteFileAtomic(dir.Sub("bad.key"), "not a key\n").ok());
  auto bad = Key::LoadOrCreate(dir.Sub("bad.key"));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("is not a de-identification key"), std::string::npos);
}

}  // namespace
}  // namespace dicomlake::deid
