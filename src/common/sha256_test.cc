#include "common/sha256.h"

#include <gtest/gtest.h>

namespace dicomlake {
namespace {

// FIPS 180-4 / NIST CAVP example vectors.
TEST(Sha256, KnownVectors) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(Sha256Hex(std::string(1000000, 'a')),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

// Every tail length around the block boundary (55, 56, 63, 64 bytes are the edge cases) gives
// 64 hex digits and distinct digests.
TEST(Sha256, TailLengths) {
  std::string prev;
  for (size_t n = 50; n < 140; ++n) {
    std::string d = Sha256Hex(std::string(n, 'x'));
    EXPECT_EQ(d.size(), 64u);
    EXPECT_NE(d, prev);
    prev = d;
  }
  EXPECT_EQ(Sha256Hex(std::string(56, 'a')),
            "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a");
}

}  // namespace
}  // namespace dicomlake
