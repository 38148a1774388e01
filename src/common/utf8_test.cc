#include "common/utf8.h"

#include <gtest/gtest.h>

namespace dicomlake {
namespace {

TEST(Utf8Test, AcceptsWellFormedAndReplacesMalformedBytes) {
  EXPECT_TRUE(IsValidUtf8("Müller 山田 😀"));
  EXPECT_FALSE(IsValidUtf8("M\xFCller"));     // Latin-1
  EXPECT_FALSE(IsValidUtf8("\xC0\xAF"));      // overlong
  EXPECT_FALSE(IsValidUtf8("\xED\xA0\x80"));  // surrogate
  EXPECT_FALSE(IsValidUtf8("\xE5\xB1"));      // cut off
  EXPECT_EQ(ToValidUtf8("M\xFCller"), "M\xEF\xBF\xBDller");
  EXPECT_EQ(ToValidUtf8("ok"), "ok");
}

}  // namespace
}  // namespace dicomlake
