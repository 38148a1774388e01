#include "serve/wado.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include "serve/bulk_data.h"

namespace dicomlake::serve {
namespace {

constexpr const char* kJpeg = "1.2.840.10008.1.2.4.50";
constexpr const char* kJ2k = "1.2.840.10008.1.2.4.90";

TEST(WadoAcceptTest, QuotedAndUnquotedTypesAndQualityOrder) {
  auto a = ParseAccept(
      "multipart/related; type=\"application/dicom\"; transfer-syntax=*;q=0.5, "
      "multipart/related; type=application/octet-stream");
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a[0].part_type, "application/octet-stream");  // q=1 first
  EXPECT_EQ(a[1].part_type, "application/dicom");
  EXPECT_EQ(a[1].transfer_syntax, "*");
  EXPECT_EQ(ParseAccept("").front().type, "*/*");
}

TEST(WadoAcceptTest, InstancesAsStoredOnlyWhenAskedOrAlreadyTheDefault) {
  const std::string any = "multipart/related; type=\"application/dicom\"; transfer-syntax=*";
  EXPECT_EQ(*ChooseInstanceSyntax(any, kJpeg), kJpeg);
  EXPECT_EQ(*ChooseInstanceSyntax("multipart/related; type=application/dicom", kJpeg),
            kExplicitVrLittleEndian);
  EXPECT_EQ(*ChooseInstanceSyntax("*/*", kExplicitVrLittleEndian), kExplicitVrLittleEndian);
  EXPECT_EQ(*ChooseInstanceSyntax(
                "multipart/related; type=application/dicom; transfer-syntax=" + std::string(kJpeg),
                kJpeg),
            kJpeg);
  EXPECT_FALSE(ChooseInstanceSyntax("application/dicom+json", kJpeg).ok());
}

TEST(WadoAcceptTest, FramesAsStoredOrDecoded) {
  const std::string ohif = "multipart/related; type=application/octet-stream; transfer-syntax=*";
  auto e = ChooseFrameEncoding(ohif, kJpeg);
  ASSERT_TRUE(e.ok());
  EXPECT_FALSE(e->decode);
  EXPECT_EQ(e->media_type, "image/jpeg");
  EXPECT_EQ(e->transfer_syntax, kJpeg);
  e = ChooseFrameEncoding("multipart/related; type=application/octet-stream", kJ2k);
  ASSERT_TRUE(e.ok());
  EXPECT_TRUE(e->decode);
  EXPECT_EQ(e->transfer_syntax, kExplicitVrLittleEndian);
  e = ChooseFrameEncoding("multipart/related; type=image/jp2", kJ2k);
  ASSERT_TRUE(e.ok());
  EXPECT_FALSE(e->decode);
  EXPECT_EQ(e->media_type, "image/jp2");
  e = ChooseFrameEncoding("multipart/related; type=application/octet-stream",
                          kImplicitVrLittleEndian);
  ASSERT_TRUE(e.ok());
  EXPECT_FALSE(e->decode);  // the same bytes
  EXPECT_EQ(e->transfer_syntax, kExplicitVrLittleEndian);
  EXPECT_FALSE(ChooseFrameEncoding("multipart/related; type=image/jpeg", kJ2k).ok());
  EXPECT_FALSE(ChooseFrameEncoding("text/html", kExplicitVrLittleEndian).ok());
}

TEST(WadoFramesTest, FrameLists) {
  EXPECT_EQ(*ParseFrameList("1"), (std::vector<uint32_t>{1}));
  EXPECT_EQ(*ParseFrameList("3,1,2"), (std::vector<uint32_t>{3, 1, 2}));
  for (const char* bad : {"", "0", "1,", ",1", "a", "1;2", "-1", "99999999999"})
    EXPECT_FALSE(ParseFrameList(bad).ok()) << bad;
  EXPECT_FALSE(ParseFrameList("1,2,3", 2).ok());
}

TEST(WadoBulkTest, StoredUrisPointBackAtTheServer) {
  const std::string url = "http://h/dicom-web/studies/1/series/2/instances/3";
  EXPECT_EQ(ServedBulkDataUri("file:///lake/a.dcm.zip?member=a.dcm&offset=100&length=20", url),
            url + "/bulk/100/20");
  EXPECT_EQ(ServedBulkDataUri("bronze/Files/x.dcm?offset=7&length=9", url), url + "/bulk/7/9");
  EXPECT_EQ(ServedBulkDataUri("file:///x.dcm?tag=7FE00010", url), url + "/bulk/tag/7FE00010");
  const std::string json =
      R"({"7FE00010":{"vr":"OW","BulkDataURI":"file:///l/x.dcm?offset=1&length=2"},)"
      R"("00091010":{"vr":"SQ","Value":[{"00091011":{"vr":"OB","BulkDataURI":"file:///l/x.dcm?offset=5&length=6"}}]}})";
  const std::string out = RewriteBulkDataUris(json, url);
  EXPECT_EQ(out.find("file://"), std::string::npos) << out;
  EXPECT_NE(out.find(url + "/bulk/1/2"), std::string::npos);
  EXPECT_NE(out.find(url + "/bulk/5/6"), std::string::npos);
  auto parsed = nlohmann::json::parse(json);
  RewriteBulkDataUris(&parsed, url);
  EXPECT_EQ(parsed["00091010"]["Value"][0]["00091011"]["BulkDataURI"], url + "/bulk/5/6");
  EXPECT_FALSE(ParseBulkRange("1", "x"));
  EXPECT_EQ(ParseBulkRange("10", "20")->length, 20);
}

TEST(WadoMultipartTest, PartsAndGzip) {
  MultipartWriter w;
  EXPECT_NE(w.ContentType("application/dicom").find("boundary=" + w.boundary()), std::string::npos);
  const std::string body = w.PartHeader("application/dicom") + "DATA" + w.Close();
  EXPECT_NE(body.find("\r\n--" + w.boundary() + "\r\nContent-Type: application/dicom\r\n\r\nDATA"),
            std::string::npos);
  EXPECT_NE(body.find("--" + w.boundary() + "--"), std::string::npos);
  std::string text(100000, 'a');
  auto z = Gzip(text);
  ASSERT_TRUE(z.ok());
  ASSERT_GT(z->size(), 2u);
  EXPECT_EQ(static_cast<unsigned char>((*z)[0]), 0x1f);  // gzip magic
  std::string back(text.size(), '\0');
  z_stream s{};
  inflateInit2(&s, 15 + 16);
  s.next_in = reinterpret_cast<Bytef*>(z->data());
  s.avail_in = static_cast<uInt>(z->size());
  s.next_out = reinterpret_cast<Bytef*>(back.data());
  s.avail_out = static_cast<uInt>(back.size());
  EXPECT_EQ(inflate(&s, Z_FINISH), Z_STREAM_END);
  inflateEnd(&s);
  EXPECT_EQ(back, text);
}

}  // namespace
}  // namespace dicomlake::serve
