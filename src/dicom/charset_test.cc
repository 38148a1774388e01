#include "dicom/charset.h"

#include <gtest/gtest.h>

namespace dicomlake::dicom {
namespace {

TEST(CharsetTest, DecodesJapaneseKoreanAndSingleByteIso2022) {
  // PS3.5 Annex H / I examples (the values of pydicom's chrH31, chrH32 and chrI2 samples).
  EXPECT_EQ(DecodeIso2022("Yamada^Tarou=\x1b$B;3ED\x1b(B^\x1b$BB@O:\x1b(B", {"", "ISO 2022 IR 87"}),
            "Yamada^Tarou=山田^太郎");
  EXPECT_EQ(DecodeIso2022("\xd4\xcf\xc0\xde^\xc0\xdb\xb3", {"ISO 2022 IR 13", "ISO 2022 IR 87"}),
            "ﾔﾏﾀﾞ^ﾀﾛｳ");
  EXPECT_EQ(DecodeIso2022("Hong^Gildong=\x1b$)C\xfb\xf3^\x1b$)C\xd1\xce\xd4\xd7",
                          {"", "ISO 2022 IR 149"}),
            "Hong^Gildong=洪^吉洞");
  EXPECT_EQ(DecodeIso2022("Buc^J\x1b-A\xe9r\xf4me", {"", "ISO 2022 IR 100"}), "Buc^Jérôme");
  EXPECT_TRUE(NeedsIso2022Decoder({"", "ISO 2022 IR 87"}));
  EXPECT_FALSE(NeedsIso2022Decoder({"ISO_IR 100"}));
  // A cut-off double-byte character is replaced, not invented.
  EXPECT_EQ(DecodeIso2022("\x1b$B;", {"", "ISO 2022 IR 87"}), "\xEF\xBF\xBD");
}

}  // namespace
}  // namespace dicomlake::dicom
