#include "pixels/pixels.h"

#include <gtest/gtest.h>

#include <cstring>

#include "common/fs.h"
#include "common/large_stack.h"
#include "support/test_dir.h"

namespace dicomlake::pixels {
namespace {

TEST(NpyHeaderTest, IsAVersion1HeaderPaddedTo64Bytes) {
  PixelFormat f;
  f.rows = 2;
  f.columns = 3;
  f.bits_allocated = 16;
  f.is_signed = true;
  std::string h = NpyHeader(f, 4);
  ASSERT_EQ(h.size() % 64, 0u);
  EXPECT_EQ(h.substr(0, 8), std::string("\x93NUMPY\x01\x00", 8));
  EXPECT_EQ(static_cast<size_t>(static_cast<uint8_t>(h[8]) | (static_cast<uint8_t>(h[9]) << 8)),
            h.size() - 10);
  EXPECT_NE(h.find("'descr': '<i2'"), std::string::npos);
  EXPECT_NE(h.find("'shape': (4, 2, 3)"), std::string::npos);
  EXPECT_EQ(h.back(), '\n');
  f.samples_per_pixel = 3;
  f.bits_allocated = 8;
  f.is_signed = false;
  EXPECT_NE(NpyHeader(f, 1).find("'descr': '|u1', 'fortran_order': False, 'shape': (1, 2, 3, 3)"),
            std::string::npos);
}

// An implicit VR little endian data set, element by element (ascending tags).
std::string Element(uint16_t group, uint16_t element, const std::string& value) {
  std::string out;
  for (uint16_t v : {group, element}) {
    out.push_back(static_cast<char>(v & 0xFF));
    out.push_back(static_cast<char>(v >> 8));
  }
  uint32_t n = static_cast<uint32_t>(value.size());
  for (int k = 0; k < 4; ++k) out.push_back(static_cast<char>((n >> (8 * k)) & 0xFF));
  return out + value;
}
std::string Us(uint16_t v) { return {static_cast<char>(v & 0xFF), static_cast<char>(v >> 8)}; }

TEST(PixelReaderTest, KeepsBitsStoredAndExtendsTheSign) {
  testing::TestDir dir;
  // 12-bit signed samples in 16 bits, with garbage in the 4 unused high bits: 0xF800 is -2048,
  // 0x17FF is 2047, 0x0001 is 1 and 0xA000 is 0 once the high bits are dropped.
  std::string pixels = Us(0xF800) + Us(0x17FF) + Us(0x0001) + Us(0xA000);
  std::string bytes = Element(0x0008, 0x0060, "CT") + Element(0x0028, 0x0002, Us(1)) +
                      Element(0x0028, 0x0004, "MONOCHROME2 ") + Element(0x0028, 0x0010, Us(2)) +
                      Element(0x0028, 0x0011, Us(2)) + Element(0x0028, 0x0100, Us(16)) +
                      Element(0x0028, 0x0101, Us(12)) + Element(0x0028, 0x0102, Us(11)) +
                      Element(0x0028, 0x0103, Us(1)) + Element(0x7FE0, 0x0010, pixels);
  std::string path = dir.Sub("signed.dcm");
  ASSERT_TRUE(fs::WriteFileAtomic(path, bytes).ok());
  Result<Frame> frame = Internal("not run");
  PixelFormat format;
  ASSERT_TRUE(RunOnLargeStack([&] {
                auto reader = PixelReader::Open(path);
                if (!reader.ok()) {
                  frame = reader.status();
                  return;
                }
                format = (*reader)->format();
                frame = (*reader)->ReadFrame(0);
                EXPECT_FALSE((*reader)->ReadFrame(1).ok());  // only one frame
              }).ok());
  ASSERT_TRUE(frame.ok()) << frame.status().ToString();
  EXPECT_EQ(format.rows, 2u);
  EXPECT_EQ(format.bits_stored, 12);
  EXPECT_TRUE(format.is_signed);
  ASSERT_EQ(frame->bytes.size(), 8u);
  int16_t v[4];
  std::memcpy(v, frame->bytes.data(), 8);
  EXPECT_EQ(v[0], -2048);
  EXPECT_EQ(v[1], 2047);
  EXPECT_EQ(v[2], 1);
  EXPECT_EQ(v[3], 0);
  EXPECT_EQ(frame->photometric, "MONOCHROME2");
}

TEST(PixelReaderTest, PixelDataShorterThanDeclaredIsAnError) {
  testing::TestDir dir;
  std::string bytes = Element(0x0008, 0x0060, "CT") + Element(0x0028, 0x0008, "4 ") +
                      Element(0x0028, 0x0010, Us(2)) + Element(0x0028, 0x0011, Us(2)) +
                      Element(0x0028, 0x0100, Us(8)) + Element(0x7FE0, 0x0010, "abcd");
  std::string path = dir.Sub("short.dcm");
  ASSERT_TRUE(fs::WriteFileAtomic(path, bytes).ok());
  Status st = Internal("not run");
  ASSERT_TRUE(RunOnLargeStack([&] { st = PixelReader::Open(path).status(); }).ok());
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("Pixel Data holds 4 bytes, but 4 frame(s)"), std::string::npos)
      << st.message();
}

}  // namespace
}  // namespace dicomlake::pixels
