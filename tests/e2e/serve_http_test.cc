// `dicomlake serve`'s HTTP contract beyond DICOMweb (the DICOMweb answers themselves are
// compared with Orthanc's in tests/network/orthanc_serve.sh): conditional requests, gzip with a
// representation's own ETag, CORS, and a port already taken refused rather than shared.
#include <gtest/gtest.h>
#include <httplib.h>

#include <memory>
#include <string>

#include "serve/dicomweb_server.h"
#include "support/lake_fixture.h"
#include "support/test_dir.h"

namespace dicomlake {
namespace {

using testing::LakeFixture;

class ServeHttp : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TestDir();
    lake_ = new LakeFixture(dir_->path() + "/lake");
    const std::string root = dir_->path() + "/lake";
    std::string out;
    ASSERT_EQ(lake_->Cli("-q init " + root, &out), 0) << out;
    ASSERT_EQ(lake_->Cli("-q sample " + root + " --seed 5 --scale 0.01", &out), 0) << out;
    const int rc = lake_->Cli("-q run " + root, &out);
    ASSERT_TRUE(rc == 0 || rc == 3) << out;
    serve::ServeOptions options;
    options.port = 0;
    server_ = new serve::DicomWebServer();
    const Status started = server_->Start(lake_->lake(), options);
    ASSERT_TRUE(started.ok()) << started.ToString();
  }
  static void TearDownTestSuite() {
    delete server_;
    delete lake_;
    delete dir_;
  }

  static httplib::Result Get(const std::string& path, const httplib::Headers& headers = {}) {
    httplib::Client client("127.0.0.1", server_->port());
    client.set_decompress(false);  // the bodies as sent
    return client.Get(path.c_str(), headers);
  }

  static testing::TestDir* dir_;
  static LakeFixture* lake_;
  static serve::DicomWebServer* server_;
};

testing::TestDir* ServeHttp::dir_ = nullptr;
LakeFixture* ServeHttp::lake_ = nullptr;
serve::DicomWebServer* ServeHttp::server_ = nullptr;

TEST_F(ServeHttp, ConditionalRequestsAndGzipHaveAnETagPerRepresentation) {
  auto plain = Get("/dicom-web/studies");
  ASSERT_TRUE(plain);
  ASSERT_EQ(plain->status, 200);
  ASSERT_GT(plain->body.size(), 1024u) << "too small an answer to be compressed";
  const std::string etag = plain->get_header_value("ETag");
  ASSERT_GE(etag.size(), 3u);
  EXPECT_EQ(etag.front(), '"');
  EXPECT_EQ(plain->get_header_value("Content-Encoding"), "");
  EXPECT_EQ(plain->get_header_value("Vary"), "Accept-Encoding");
  EXPECT_EQ(plain->get_header_value("Access-Control-Allow-Origin"), "*");

  auto zipped = Get("/dicom-web/studies", {{"Accept-Encoding", "gzip, deflate"}});
  ASSERT_TRUE(zipped);
  ASSERT_EQ(zipped->status, 200);
  EXPECT_EQ(zipped->get_header_value("Content-Encoding"), "gzip");
  const std::string zipped_etag = zipped->get_header_value("ETag");
  EXPECT_EQ(zipped_etag, etag.substr(0, etag.size() - 1) + "-gzip\"");
  ASSERT_GE(zipped->body.size(), 2u);
  EXPECT_EQ(zipped->body.substr(0, 2), "\x1f\x8b");  // the gzip magic
  EXPECT_LT(zipped->body.size(), plain->body.size());

  // Each ETag validates its own representation only.
  auto same = Get("/dicom-web/studies", {{"If-None-Match", etag}});
  ASSERT_TRUE(same);
  EXPECT_EQ(same->status, 304);
  EXPECT_TRUE(same->body.empty());
  auto same_zipped = Get("/dicom-web/studies",
                         {{"Accept-Encoding", "gzip"}, {"If-None-Match", "\"x\", " + zipped_etag}});
  ASSERT_TRUE(same_zipped);
  EXPECT_EQ(same_zipped->status, 304);
  auto other = Get("/dicom-web/studies", {{"Accept-Encoding", "gzip"}, {"If-None-Match", etag}});
  ASSERT_TRUE(other);
  EXPECT_EQ(other->status, 200);
  auto changed = Get("/dicom-web/studies?limit=1", {{"If-None-Match", etag}});
  ASSERT_TRUE(changed);
  EXPECT_EQ(changed->status, 200);
}

TEST_F(ServeHttp, APortAlreadyTakenIsRefusedNotShared) {
  const std::string port = std::to_string(server_->port());
  std::string out;
  const int rc = lake_->Cli("serve " + dir_->path() + "/lake --port " + port, &out);
  EXPECT_NE(rc, 0) << out;
  EXPECT_NE(out.find("127.0.0.1:" + port + " (DICOMweb): is the port taken?"), std::string::npos)
      << out;
  auto still = Get("/dicom-web/studies?limit=1");
  ASSERT_TRUE(still);
  EXPECT_EQ(still->status, 200);
}

}  // namespace
}  // namespace dicomlake
