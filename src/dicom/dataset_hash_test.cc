#include "dicom/dataset_hash.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "common/fs.h"
#include "common/hash.h"

namespace dicomlake::dicom {
namespace {

// An explicit VR little endian element of group 0002.
std::string Element(uint16_t element, const char* vr, const std::string& value) {
  std::string out;
  auto le16 = [&](uint16_t v) {
    out.push_back(static_cast<char>(v & 0xFF));
    out.push_back(static_cast<char>(v >> 8));
  };
  le16(0x0002);
  le16(element);
  out += vr;
  if (std::string(vr) == "OB") {
    le16(0);
    le16(static_cast<uint16_t>(value.size()));
    le16(0);
  } else {
    le16(static_cast<uint16_t>(value.size()));
  }
  return out + value;
}

std::string Part10(const std::string& meta, const std::string& dataset) {
  return std::string(128, '\0') + "DICM" + meta + dataset;
}

// A data set: (0008,0016) UI in explicit VR little endian.
const std::string kDataset = std::string("\x08\x00\x16\x00UI\x06\x00", 8) + "1.2.3" + '\0';

TEST(DatasetHashTest, TheSameDataSetUnderAnotherFileMetaGroupHashesAlike) {
  std::string a =
      Part10(Element(0x0001, "OB", std::string("\x00\x01", 2)) +
                 Element(0x0010, "UI", "1.2.840.10008.1.2.1") + Element(0x0016, "AE", "SENDER  "),
             kDataset);
  std::string b = Part10(Element(0x0010, "UI", "1.2.840.10008.1.2.1") +
                             Element(0x0013, "SH", "OTHER_IMPL_1.0") +
                             Element(0x0016, "AE", "DICOMLAKE_RECEIVER"),
                         kDataset);
  EXPECT_NE(Xxh3Hex(a), Xxh3Hex(b));
  EXPECT_EQ(DatasetHash(a), DatasetHash(b));
  EXPECT_EQ(DatasetHash(a), Xxh3Hex(kDataset));
  EXPECT_NE(DatasetHash(a), DatasetHash(Part10(Element(0x0010, "UI", "1.2"), kDataset + "x")));
}

TEST(DatasetHashTest, PiecesOfAnySizeGiveTheSameHash) {
  std::string file = Part10(Element(0x0001, "OB", std::string("\x00\x01", 2)) +
                                Element(0x0010, "UI", "1.2.840.10008.1.2.1"),
                            kDataset + std::string(5000, 'p'));
  for (size_t piece : {size_t{1}, size_t{3}, size_t{131}, size_t{4096}}) {
    DatasetHasher h;
    for (size_t at = 0; at < file.size(); at += piece) h.Update(file.substr(at, piece));
    EXPECT_EQ(h.HexDigest(), DatasetHash(file)) << piece;
  }
}

TEST(DatasetHashTest, WithoutAFileMetaGroupTheWholeFileIsTheDataSet) {
  EXPECT_EQ(DatasetHash(kDataset), Xxh3Hex(kDataset));
  const std::string short_file = "DICM";
  EXPECT_EQ(DatasetHash(short_file), Xxh3Hex(short_file));
  // A meta element of undefined length (not PS3.10): hashed from that element on.
  std::string odd = Part10(std::string("\x02\x00\x01\x00OB\x00\x00\xFF\xFF\xFF\xFF", 12), kDataset);
  EXPECT_EQ(DatasetHash(odd), Xxh3Hex(odd.substr(132)));
}

// DCMTK's dcmconv writes a new file meta group (its own implementation class and version, of
// another length) before the data set as it was: the data-set hash is the same, and equals the
// hash of the bytes after the meta group as pydicom finds its end.
TEST(DatasetHashTest, AFileWhoseMetaGroupDcmtkRewroteHashesAlike) {
  const std::string original = "/usr/lib/python3/dist-packages/pydicom/data/test_files/rtplan.dcm";
  if (!fs::Exists(original)) GTEST_SKIP() << "python3-pydicom is not installed";
  const std::string copy = ::testing::TempDir() + "/dataset_hash_rtplan.dcm";
  ASSERT_EQ(std::system(("dcmconv " + original + " " + copy).c_str()), 0);
  auto a = fs::ReadFile(original);
  auto b = fs::ReadFile(copy);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(*a, *b);
  EXPECT_EQ(DatasetHash(*a), DatasetHash(*b));
  std::string out;
  FILE* p = ::popen(("/usr/bin/python3 -c 'import sys, pydicom.filereader as r; "
                     "f = open(sys.argv[1], \"rb\"); r.read_preamble(f, False); "
                     "r._read_file_meta_info(f); print(f.tell())' " +
                     original)
                        .c_str(),
                    "r");
  ASSERT_NE(p, nullptr);
  char buf[64];
  while (std::fgets(buf, sizeof buf, p) != nullptr) out += buf;
  ASSERT_EQ(::pclose(p), 0);
  EXPECT_EQ(DatasetHash(*a), Xxh3Hex(std::string_view(*a).substr(std::stoul(out))));
  std::remove(copy.c_str());
}

// A deflated data set (PS3.5 A.5) is hashed inflated: the same data set deflated again at another
// level (as a sender that inflates and deflates it does) has the same hash, that of the bytes
// Python's zlib inflates from after the meta group pydicom finds; fed one byte at a time too.
TEST(DatasetHashTest, ADeflatedDataSetIsHashedInflated) {
  const std::string original =
      "/usr/lib/python3/dist-packages/pydicom/data/test_files/image_dfl.dcm";
  if (!fs::Exists(original)) GTEST_SKIP() << "python3-pydicom is not installed";
  const std::string dir = ::testing::TempDir();
  const std::string again = dir + "/dataset_hash_redeflated.dcm";
  const std::string inflated = dir + "/dataset_hash_inflated.bin";
  const std::string script =
      "import sys, zlib, pydicom.filereader as r\n"
      "data = open(sys.argv[1], 'rb').read()\n"
      "f = open(sys.argv[1], 'rb'); r.read_preamble(f, False); r._read_file_meta_info(f)\n"
      "end = f.tell()\n"
      "plain = zlib.decompress(data[end:], -15)\n"
      "c = zlib.compressobj(1, zlib.DEFLATED, -15)\n"
      "open(sys.argv[2], 'wb').write(data[:end] + c.compress(plain) + c.flush())\n"
      "open(sys.argv[3], 'wb').write(plain)\n";
  const std::string py = dir + "/dataset_hash_redeflate.py";
  ASSERT_TRUE(fs::WriteFileAtomic(py, script).ok());
  ASSERT_EQ(std::system(
                ("/usr/bin/python3 " + py + " " + original + " " + again + " " + inflated).c_str()),
            0);
  auto a = fs::ReadFile(original);
  auto b = fs::ReadFile(again);
  auto plain = fs::ReadFile(inflated);
  ASSERT_TRUE(a.ok() && b.ok() && plain.ok());
  EXPECT_NE(*a, *b);
  EXPECT_EQ(DatasetHash(*a), Xxh3Hex(*plain));
  EXPECT_EQ(DatasetHash(*b), Xxh3Hex(*plain));
  DatasetHasher bytewise;
  for (char c : *b) bytewise.Update(std::string_view(&c, 1));
  EXPECT_EQ(bytewise.HexDigest(), Xxh3Hex(*plain));
  // Not a deflate stream after a meta group naming the deflated syntax: hashed as it is.
  const std::string broken = a->substr(0, a->size() - plain->size() / 2);
  EXPECT_FALSE(DatasetHash(broken).empty());
}

}  // namespace
}  // namespace dicomlake::dicom
