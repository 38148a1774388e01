#include "net/stow_server.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <filesystem>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/fs.h"
#include "dicom/dicom_writer.h"
#include "support/test_dir.h"

namespace dicomlake::net {
namespace {

using Json = nlohmann::json;

dicom::Element Text(uint32_t tag, const char* vr, const std::string& value) {
  dicom::Element e;
  e.tag = tag;
  e.vr = vr;
  e.strings.emplace_back(value);
  return e;
}

// A small Secondary Capture instance of `study` as a Part 10 file's bytes.
std::string Instance(const testing::TestDir& dir, const std::string& study,
                     const std::string& sop) {
  dicom::Dataset d;
  d.elements = {Text(0x00080016, "UI", "1.2.840.10008.5.1.4.1.1.7"), Text(0x00080018, "UI", sop),
                Text(0x00080060, "CS", "OT"), Text(0x0020000D, "UI", study),
                Text(0x0020000E, "UI", study + ".1")};
  const std::string path = dir.Sub(sop + ".dcm");
  EXPECT_TRUE(dicom::WriteDicomFile(d, path, dicom::WriteSyntax::kExplicitLittle).ok());
  return *fs::ReadFile(path);
}

std::string Body(const std::vector<std::pair<std::string, std::string>>& parts) {
  std::string body;
  for (const auto& [type, bytes] : parts)
    body += "--B\r\nContent-Type: " + type + "\r\n\r\n" + bytes + "\r\n";
  return body + "--B--\r\n";
}

class StowServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    StowOptions options;
    options.port = 0;
    options.spool = dir_.Sub("spool");
    ASSERT_TRUE(server_
                    .Start(options,
                           [this](const AssociationRecord& r) {
                             std::lock_guard<std::mutex> lock(mu_);
                             records_.push_back(r);
                           })
                    .ok());
  }
  httplib::Result Post(
      const std::string& path, const std::string& body,
      const std::string& type = R"(multipart/related; type="application/dicom"; boundary=B)") {
    httplib::Client client("127.0.0.1", server_.port());
    return client.Post(path.c_str(), body, type.c_str());
  }

  testing::TestDir dir_;
  StowServer server_;
  std::mutex mu_;
  std::vector<AssociationRecord> records_;
};

TEST_F(StowServerTest, AllStoredIs200WithRetrieveUrls) {
  const std::string a = Instance(dir_, "1.2.3", "1.2.3.1.1"),
                    b = Instance(dir_, "1.2.3", "1.2.3.1.2");
  auto res =
      Post("/dicom-web/studies/1.2.3", Body({{"application/dicom", a}, {"application/dicom", b}}));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << res->body;
  EXPECT_EQ(res->get_header_value("Content-Type"), "application/dicom+json");
  Json j = Json::parse(res->body);
  EXPECT_FALSE(j.contains("00081198"));
  ASSERT_EQ(j["00081199"]["Value"].size(), 2u);
  const std::string base = "http://127.0.0.1:" + std::to_string(server_.port()) + "/dicom-web";
  EXPECT_EQ(j["00081190"]["Value"][0], base + "/studies/1.2.3");
  EXPECT_EQ(j["00081199"]["Value"][0]["00081155"]["Value"][0], "1.2.3.1.1");
  EXPECT_EQ(j["00081199"]["Value"][0]["00081190"]["Value"][0],
            base + "/studies/1.2.3/series/1.2.3.1/instances/1.2.3.1.1");
  // The files are in the spool byte for byte; the record names them.
  std::lock_guard<std::mutex> lock(mu_);
  ASSERT_EQ(records_.size(), 1u);
  EXPECT_EQ(records_[0].protocol, "STOW-RS");
  EXPECT_EQ(records_[0].stored, 2);
  ASSERT_EQ(records_[0].files.size(), 2u);
  EXPECT_EQ(*fs::ReadFile(records_[0].files[0]), a);
  EXPECT_EQ(*fs::ReadFile(records_[0].files[1]), b);
}

TEST_F(StowServerTest, SomeFailedIs202NoneStoredIs409WithReasons) {
  const std::string a = Instance(dir_, "1.2.3", "1.2.3.1.1");
  const std::string other_study = Instance(dir_, "1.2.4", "1.2.4.1.1");
  auto res = Post("/studies/1.2.3", Body({{"application/dicom", a},
                                          {"application/dicom", "not DICOM at all"},
                                          {"application/dicom", other_study},
                                          {"text/plain", "hello"}}));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 202) << res->body;
  Json j = Json::parse(res->body);
  ASSERT_EQ(j["00081199"]["Value"].size(), 1u);
  const Json& failed = j["00081198"]["Value"];
  ASSERT_EQ(failed.size(), 3u);
  EXPECT_EQ(failed[0]["00081197"]["Value"][0], 0xC000);
  EXPECT_FALSE(failed[0]["00081155"].contains("Value"));  // unknown: empty (PS3.18 F.2.5)
  EXPECT_EQ(failed[1]["00081197"]["Value"][0], 0xA900);
  EXPECT_EQ(failed[1]["00081155"]["Value"][0], "1.2.4.1.1");
  EXPECT_NE(failed[1]["00091001"]["Value"][0].get<std::string>().find("not the study"),
            std::string::npos);
  EXPECT_NE(failed[2]["00091001"]["Value"][0].get<std::string>().find("text/plain"),
            std::string::npos);
  EXPECT_EQ(failed[2]["00090010"]["Value"][0], "DICOMLAKE");
  EXPECT_TRUE(res->has_header("Warning"));

  auto none = Post("/studies", Body({{"application/dicom", "junk"}}));
  ASSERT_TRUE(none);
  EXPECT_EQ(none->status, 409);
  // Nothing but the one stored file is left in the spool (no temporary files).
  int files = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir_.Sub("spool"))) {
    if (!e.is_regular_file()) continue;
    EXPECT_NE(e.path().filename().string()[0], '.') << e.path();
    files++;
  }
  EXPECT_EQ(files, 1);
}

TEST_F(StowServerTest, BadRequestsAreRefusedWithAReason) {
  const std::string a = Instance(dir_, "1.2.3", "1.2.3.1.1");
  auto wrong_type = Post("/studies", Body({{"application/dicom", a}}), "application/dicom");
  ASSERT_TRUE(wrong_type);
  EXPECT_EQ(wrong_type->status, 415);
  auto json_parts =
      Post("/studies", "x", R"(multipart/related; type="application/dicom+json"; boundary=B)");
  ASSERT_TRUE(json_parts);
  EXPECT_EQ(json_parts->status, 415);
  auto no_boundary = Post("/studies", "x", R"(multipart/related; type="application/dicom")");
  ASSERT_TRUE(no_boundary);
  EXPECT_EQ(no_boundary->status, 400);
  auto bad_uid = Post("/studies/not-a-uid", Body({{"application/dicom", a}}));
  ASSERT_TRUE(bad_uid);
  EXPECT_EQ(bad_uid->status, 400);
  // Cut short: the complete part before the fault is stored, the one cut is not.
  std::string cut = Body({{"application/dicom", a}});
  cut = cut.substr(0, cut.size() - 7) + "--B\r\nContent-Type: application/dicom\r\n\r\npartial";
  auto truncated = Post("/studies", cut);
  ASSERT_TRUE(truncated);
  EXPECT_EQ(truncated->status, 400);
  EXPECT_NE(truncated->body.find("1 part(s) before the fault were stored"), std::string::npos)
      << truncated->body;
  EXPECT_EQ(server_.active(), 0);
}

// A second server on a port already taken must fail, not share it (cpp-httplib's default
// SO_REUSEPORT would let it bind and take half of the connections).
TEST_F(StowServerTest, APortAlreadyTakenIsAnErrorNotShared) {
  StowOptions options;
  options.port = server_.port();
  options.spool = dir_.Sub("spool2");
  StowServer second;
  const Status started = second.Start(options, [](const AssociationRecord&) {});
  ASSERT_FALSE(started.ok());
  EXPECT_NE(
      started.message().find(":" + std::to_string(server_.port()) + " (HTTP): is the port taken?"),
      std::string::npos)
      << started.message();
  // The first server still answers, and a server stopped frees its port for the next.
  auto answer = Post("/studies", "x", "text/plain");
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, 415);
  const int port = server_.port();
  server_.Stop();
  EXPECT_TRUE(second.Start(options, [](const AssociationRecord&) {}).ok());
  EXPECT_EQ(second.port(), port);
}

}  // namespace
}  // namespace dicomlake::net
