#include "net/multipart.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace dicomlake::net {
namespace {

struct Part {
  PartHeaders headers;
  std::string data;
  bool ended = false;
};

// Feeds `body` in pieces of `piece` bytes and collects the parts.
Status ReadAll(const std::string& boundary, const std::string& body, size_t piece,
               std::vector<Part>* parts) {
  MultipartReader reader(boundary, {[parts](const PartHeaders& h) {
                                      parts->push_back({h, "", false});
                                      return Status::Ok();
                                    },
                                    [parts](std::string_view b) {
                                      parts->back().data.append(b);
                                      return Status::Ok();
                                    },
                                    [parts] {
                                      parts->back().ended = true;
                                      return Status::Ok();
                                    }});
  for (size_t at = 0; at < body.size(); at += piece) {
    DL_RETURN_IF_ERROR(reader.Feed(std::string_view(body).substr(at, piece)));
  }
  return reader.Finish();
}

TEST(MultipartTest, MediaTypesWithQuotedAndUnquotedParameters) {
  auto m = ParseMediaType(R"(Multipart/Related; type="application/dicom"; boundary=abc)");
  ASSERT_TRUE(m.ok()) << m.status().message();
  EXPECT_EQ(m->type, "multipart/related");
  EXPECT_EQ(m->Param("type"), "application/dicom");
  EXPECT_EQ(m->Param("boundary"), "abc");
  auto q = ParseMediaType(R"(multipart/related;type=application/dicom;BOUNDARY="a \"b\" c";)");
  ASSERT_TRUE(q.ok()) << q.status().message();
  EXPECT_EQ(q->Param("type"), "application/dicom");
  EXPECT_EQ(q->Param("boundary"), "a \"b\" c");
  EXPECT_FALSE(ParseMediaType("").ok());
  EXPECT_FALSE(ParseMediaType("multipart").ok());
  EXPECT_FALSE(ParseMediaType("multipart/related; boundary").ok());
  EXPECT_FALSE(ParseMediaType("multipart/related; boundary=\"open").ok());
}

// The parts come out the same whatever the pieces the body arrives in (every piece size from
// one byte up, so a delimiter is split at every position).
TEST(MultipartTest, PartsAreTheSameWhateverThePieces) {
  const std::string binary("\r\n--notit\r\n\0\xff--b", 17);
  const std::string body =
      "preamble to ignore\r\n"
      "--b0undary  \r\n"
      "Content-Type: application/dicom\r\n"
      "X-Folded: one\r\n two\r\n"
      "\r\n" +
      binary +
      "\r\n--b0undary\r\n"
      "\r\n"
      "second\r\n"
      "--b0undary--\r\n"
      "epilogue";
  for (size_t piece = 1; piece <= body.size(); ++piece) {
    std::vector<Part> parts;
    Status st = ReadAll("b0undary", body, piece, &parts);
    ASSERT_TRUE(st.ok()) << piece << ": " << st.message();
    ASSERT_EQ(parts.size(), 2u) << piece;
    EXPECT_EQ(HeaderValue(parts[0].headers, "content-type"), "application/dicom");
    EXPECT_EQ(HeaderValue(parts[0].headers, "x-folded"), "one two");
    EXPECT_EQ(parts[0].data, binary) << piece;
    EXPECT_TRUE(parts[0].ended);
    EXPECT_TRUE(parts[1].headers.empty());
    EXPECT_EQ(parts[1].data, "second");
    EXPECT_TRUE(parts[1].ended);
  }
}

TEST(MultipartTest, ABodyWithoutPreambleOrFinalLineBreak) {
  std::vector<Part> parts;
  ASSERT_TRUE(ReadAll("x", "--x\r\n\r\nA\r\n--x--", 3, &parts).ok());
  ASSERT_EQ(parts.size(), 1u);
  EXPECT_EQ(parts[0].data, "A");
}

TEST(MultipartTest, MalformedBodiesAreRefusedWithAReason) {
  struct Case {
    const char* name;
    std::string body;
    const char* reason;
  };
  const std::vector<Case> cases = {
      {"no boundary at all", "just bytes", "no part"},
      {"cut short", "--x\r\n\r\npartial data", "ended before its closing boundary"},
      {"garbage after boundary", "--xyz\r\n\r\nA\r\n--x--", "unexpected bytes after a boundary"},
      {"endless headers", "--x\r\n" + std::string(20000, 'h'), "longer than 16 KiB"},
  };
  for (const auto& c : cases) {
    std::vector<Part> parts;
    Status st = ReadAll("x", c.body, 7, &parts);
    ASSERT_FALSE(st.ok()) << c.name;
    EXPECT_NE(st.message().find(c.reason), std::string::npos) << c.name << ": " << st.message();
  }
}

TEST(MultipartTest, ACallbackFailureStopsTheReader) {
  MultipartReader reader(
      "x", {[](const PartHeaders&) { return InvalidArgument("no thanks"); }, nullptr, nullptr});
  Status st = reader.Feed("--x\r\n\r\nA\r\n--x--");
  EXPECT_FALSE(st.ok());
  EXPECT_EQ(st.message(), "no thanks");
  EXPECT_FALSE(reader.Feed("more").ok());
}

}  // namespace
}  // namespace dicomlake::net
