#include "scan/archive.h"

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>

#include "common/fs.h"
#include "common/hash.h"
#include "support/test_dir.h"

namespace dicomlake::scan {
namespace {

// Builds archives with Python's zipfile/tarfile (an independent writer).
void Python(const std::string& script) {
  std::string out;
  ASSERT_EQ(testing::RunCommand("/usr/bin/python3 -c '" + script + "'", &out, true), 0) << out;
}

SourceFile Source(const std::string& path) {
  SourceFile f;
  f.path = f.source_path = path;
  f.relative_path = path.substr(path.rfind('/') + 1);
  f.namespace_name = "ns";
  f.size = fs::Stat(path)->size;
  return f;
}

TEST(ArchiveTest, ExpandsNestedZipAndTarGz) {
  testing::TestDir dir;
  std::string zip = dir.Sub("a.zip"), tgz = dir.Sub("b.tar.gz");
  Python("import zipfile; z=zipfile.ZipFile(\"" + zip +
         "\",\"w\",zipfile.ZIP_DEFLATED); z.writestr(\"s1/x/1.dcm\",b\"one\"); "
         "z.writestr(\"DICOMDIR\",b\"dir\"); z.close()");
  Python("import tarfile,io; t=tarfile.open(\"" + tgz +
         "\",\"w:gz\"); d=b\"two\"; i=tarfile.TarInfo(\"deep/er/2\"); i.size=3; "
         "t.addfile(i,io.BytesIO(d)); t.close()");
  std::vector<SourceFile> members;
  std::vector<Refusal> refused;
  ASSERT_TRUE(ExpandArchive(Source(zip), dir.Sub("st1"), {}, &members, &refused).ok());
  ASSERT_TRUE(ExpandArchive(Source(tgz), dir.Sub("st2"), {}, &members, &refused).ok());
  EXPECT_TRUE(refused.empty());
  ASSERT_EQ(members.size(), 3u);
  EXPECT_EQ(members[0].archive_member, "s1/x/1.dcm");
  EXPECT_EQ(*fs::ReadFile(members[0].path), "one");
  EXPECT_EQ(members[0].relative_path, "a.zip!s1/x/1.dcm");
  EXPECT_EQ(members[2].archive_member, "deep/er/2");
  EXPECT_EQ(*fs::ReadFile(members[2].path), "two");
  EXPECT_EQ(DetectArchive(*fs::ReadFile(zip)), ArchiveKind::kZip);
  EXPECT_EQ(DetectArchive(*fs::ReadFile(tgz)), ArchiveKind::kGzip);
}

TEST(ArchiveTest, ExtractsTheWantedMembersInOnePass) {
  testing::TestDir dir;
  std::string zip = dir.Sub("a.zip");
  Python("import zipfile; z=zipfile.ZipFile(\"" + zip +
         "\",\"w\",zipfile.ZIP_DEFLATED); z.writestr(\"s/1.dcm\",b\"one\"); "
         "z.writestr(\"s/2.dcm\",b\"two\"); z.writestr(\"s/3.dcm\",b\"three\"); z.close()");
  auto got = ExtractMembers(zip, {"s/3.dcm", "s/1.dcm", "missing"}, dir.Sub("out"));
  ASSERT_TRUE(got.ok()) << got.status().message();
  ASSERT_EQ(got->size(), 2u);
  EXPECT_EQ(*fs::ReadFile(got->at("s/1.dcm")), "one");
  EXPECT_EQ(*fs::ReadFile(got->at("s/3.dcm")), "three");
  EXPECT_FALSE(ExtractMembers(dir.Sub("nothing.zip"), {"x"}, dir.Sub("out2")).ok());
}

TEST(ArchiveTest, HashesTheWantedMembersWithoutWritingThem) {
  testing::TestDir dir;
  std::string zip = dir.Sub("a.zip");
  Python("import zipfile; z=zipfile.ZipFile(\"" + zip +
         "\",\"w\",zipfile.ZIP_DEFLATED); z.writestr(\"s/1.dcm\",b\"one\"); "
         "z.writestr(\"s/2.dcm\",b\"two\"*100000); z.close()");
  auto got = HashMembers(zip, {"s/2.dcm", "missing"});
  ASSERT_TRUE(got.ok()) << got.status().message();
  ASSERT_EQ(got->size(), 1u);
  std::string two;
  for (int i = 0; i < 100000; ++i) two += "two";
  EXPECT_EQ(got->at("s/2.dcm").hash, Xxh3Hex(two));
  EXPECT_EQ(got->at("s/2.dcm").bytes, 300000);
  EXPECT_FALSE(HashMembers(dir.Sub("nothing.zip"), {"x"}).ok());
}

TEST(ArchiveTest, ReadsZip64) {
  testing::TestDir dir;
  std::string zip = dir.Sub("big.zip");
  Python("import zipfile; z=zipfile.ZipFile(\"" + zip +
         "\",\"w\",zipfile.ZIP_DEFLATED); f=z.open(\"a/x.dcm\",\"w\",force_zip64=True); "
         "f.write(b\"zip64 member\"); f.close(); z.close()");
  std::vector<SourceFile> members;
  std::vector<Refusal> refused;
  ASSERT_TRUE(ExpandArchive(Source(zip), dir.Sub("st"), {}, &members, &refused).ok());
  ASSERT_EQ(members.size(), 1u);
  EXPECT_EQ(*fs::ReadFile(members[0].path), "zip64 member");
}

TEST(ArchiveTest, RefusesEncryptedMembers) {
  testing::TestDir dir;
  std::string zip = dir.Sub("secret.zip");
  // Written with libarchive's ZipCrypto (Python cannot write encrypted ZIPs).
  struct archive* a = archive_write_new();
  archive_write_set_format_zip(a);
  ASSERT_EQ(archive_write_set_options(a, "zip:encryption=zipcrypt"), ARCHIVE_OK)
      << archive_error_string(a);
  ASSERT_EQ(archive_write_set_passphrase(a, "secret"), ARCHIVE_OK);
  ASSERT_EQ(archive_write_open_filename(a, zip.c_str()), ARCHIVE_OK);
  struct archive_entry* e = archive_entry_new();
  archive_entry_set_pathname(e, "hidden.dcm");
  archive_entry_set_size(e, 6);
  archive_entry_set_filetype(e, AE_IFREG);
  archive_entry_set_perm(e, 0644);
  ASSERT_EQ(archive_write_header(a, e), ARCHIVE_OK);
  archive_write_data(a, "secret", 6);
  archive_entry_free(e);
  archive_write_close(a);
  archive_write_free(a);
  std::vector<SourceFile> members;
  std::vector<Refusal> refused;
  ASSERT_TRUE(ExpandArchive(Source(zip), dir.Sub("st"), {}, &members, &refused).ok());
  EXPECT_TRUE(members.empty());
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_EQ(refused[0].reason, "encrypted member");
}

TEST(ArchiveTest, RefusesZipSlipLinksAndBombs) {
  testing::TestDir dir;
  std::string zip = dir.Sub("evil.zip");
  Python("import zipfile; z=zipfile.ZipFile(\"" + zip +
         "\",\"w\"); z.writestr(\"../../escape.dcm\",b\"x\"); z.writestr(\"/abs.dcm\",b\"y\"); "
         "z.writestr(\"ok.dcm\",b\"z\"); z.close()");
  std::vector<SourceFile> members;
  std::vector<Refusal> refused;
  ASSERT_TRUE(ExpandArchive(Source(zip), dir.Sub("st"), {}, &members, &refused).ok());
  ASSERT_EQ(members.size(), 1u);
  EXPECT_EQ(members[0].archive_member, "ok.dcm");
  ASSERT_EQ(refused.size(), 2u);
  EXPECT_NE(refused[0].reason.find(".."), std::string::npos);
  EXPECT_NE(refused[1].reason.find("absolute"), std::string::npos);
  EXPECT_FALSE(fs::Exists(dir.Sub("escape.dcm")));

  std::string bomb = dir.Sub("bomb.zip");
  Python(
      "import zipfile; z=zipfile.ZipFile(\"" + bomb +
      "\",\"w\",zipfile.ZIP_DEFLATED); z.writestr(\"zeros.dcm\",bytes(64*1024*1024)); z.close()");
  members.clear();
  refused.clear();
  Status st = ExpandArchive(Source(bomb), dir.Sub("st3"), {}, &members, &refused);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("zip bomb"), std::string::npos);
  ArchiveLimits small;
  small.max_total_bytes = 1000;
  st = ExpandArchive(Source(zip), dir.Sub("st4"), small, &members, &refused);
  EXPECT_TRUE(st.ok());  // 3 bytes
}

}  // namespace
}  // namespace dicomlake::scan
