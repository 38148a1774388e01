#include "lake/delta_log.h"

#include <gtest/gtest.h>

#include "common/fs.h"
#include "lake/engine.h"
#include "support/test_dir.h"

namespace dicomlake::lake {
namespace {

Commit SampleCommit() {
  Commit c;
  c.commit_info = R"({"timestamp":1,"operation":"WRITE"})";
  c.protocol = ProtocolAction{};
  MetadataAction m;
  m.id = "id-1";
  m.schema_string = Schema{{StringField("a")}}.ToJson();
  m.created_time = 5;
  c.metadata = m;
  AddAction a;
  a.path = "part 1=x/file%.parquet";
  a.size = 10;
  a.modification_time = 20;
  a.stats = R"({"numRecords":3})";
  c.adds.push_back(a);
  c.removes.push_back(RemoveAction{"old.parquet", 30, true, 99});
  return c;
}

TEST(DeltaLogTest, SerializesOneActionPerLineAndParsesBack) {
  Commit c = SampleCommit();
  std::string text = SerializeCommit(c);
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 5);
  EXPECT_EQ(text.back(), '\n');
  EXPECT_NE(text.find(R"("path":"part%201=x/file%25.parquet")"), std::string::npos);
  auto back = ParseCommit(text, "t");
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ASSERT_EQ(back->adds.size(), 1u);
  EXPECT_EQ(back->adds[0].path, "part 1=x/file%.parquet");
  EXPECT_EQ(back->adds[0].stats, R"({"numRecords":3})");
  EXPECT_EQ(back->removes[0].size, 99);
  EXPECT_EQ(back->metadata->id, "id-1");
  EXPECT_EQ(back->protocol->min_writer_version, 2);
}

TEST(DeltaLogTest, ParsesASparkWrittenCommit) {
  // The golden table commit quoted in reference/standards.md section 4.2.
  std::string spark =
      R"({"commitInfo":{"timestamp":1690853005164,"operation":"WRITE","isBlindAppend":true}})"
      "\n"
      R"({"metaData":{"id":"testId","format":{"provider":"parquet","options":{}},"schemaString":"{\"type\":\"struct\",\"fields\":[{\"name\":\"part\",\"type\":\"decimal(12,5)\",\"nullable\":true,\"metadata\":{}}]}","partitionColumns":["part"],"configuration":{},"createdTime":1690852998865}})"
      "\n"
      R"({"protocol":{"minReaderVersion":1,"minWriterVersion":2}})"
      "\n"
      R"({"add":{"path":"part=-2342342.23423/part-00000-8f85.c000.snappy.parquet","partitionValues":{"part":"-2342342.23423"},"size":1032,"modificationTime":1690853004000,"dataChange":true,"stats":"{\"numRecords\":1}","tags":null,"deletionVector":null}})"
      "\n";
  auto c = ParseCommit(spark, "golden");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->metadata->partition_columns, std::vector<std::string>{"part"});
  EXPECT_EQ(c->adds[0].partition_values.at("part"), "-2342342.23423");
}

TEST(DeltaLogTest, MalformedLinesAreCorruptAndNamed) {
  struct Case {
    const char* text;
    const char* expect;
  } cases[] = {
      {"{not json\n", "line 1: not valid JSON"},
      {R"({"add":{"path":"a"},"remove":{"path":"b"}})"
       "\n",
       "exactly one action"},
      {R"({"add":{"path":"a","partitionValues":{},"modificationTime":1,"dataChange":true}})"
       "\n",
       "\"size\""},
      {R"({"add":{"path":"a","partitionValues":{},"size":"12","modificationTime":1,"dataChange":true}})"
       "\n",
       "must be an integer"},
      {"", "empty commit file"},
  };
  for (const auto& c : cases) {
    auto r = ParseCommit(c.text, "table t version 3");
    ASSERT_FALSE(r.ok()) << c.text;
    EXPECT_EQ(r.status().code(), StatusCode::kCorrupt);
    EXPECT_NE(r.status().message().find(c.expect), std::string::npos) << r.status().message();
    EXPECT_NE(r.status().message().find("table t version 3"), std::string::npos);
  }
}

TEST(DeltaLogTest, UnknownProtocolVersionIsUnsupported) {
  ProtocolAction p;
  p.min_reader_version = 3;
  p.reader_features = {"deletionVectors"};
  Status st = CheckProtocol(p, false, "table bronze/X version 4");
  EXPECT_EQ(st.code(), StatusCode::kUnsupported);
  EXPECT_NE(st.message().find("bronze/X version 4"), std::string::npos);
  EXPECT_NE(st.message().find("deletionVectors"), std::string::npos);
  ProtocolAction w;
  w.min_writer_version = 7;
  EXPECT_TRUE(CheckProtocol(w, false, "t").ok());
  EXPECT_EQ(CheckProtocol(w, true, "t").code(), StatusCode::kUnsupported);
}

TEST(DeltaLogTest, CommitsAreCreatedOnlyIfAbsent) {
  testing::TestDir dir(false);
  DeltaLog log(dir.Sub("t"), "t");
  ASSERT_TRUE(log.TryCommit(0, SampleCommit()).ok());
  EXPECT_EQ(log.TryCommit(0, SampleCommit()).code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(*log.LatestVersion(), 0);
  EXPECT_EQ(CommitFileName(12), "00000000000000000012.json");
}

TEST(DeltaLogTest, GapsInTheLogAreReported) {
  testing::TestDir dir(false);
  DeltaLog log(dir.Sub("t"), "silver/T");
  Commit c = SampleCommit();
  c.adds.clear();
  c.removes.clear();
  ASSERT_TRUE(log.TryCommit(0, c).ok());
  Commit empty;
  empty.commit_info = "{}";
  ASSERT_TRUE(log.TryCommit(2, empty).ok());
  auto engine = Engine::Open({1, ""});
  auto s = log.LoadSnapshot(**engine);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kCorrupt);
  EXPECT_NE(s.status().message().find("silver/T"), std::string::npos);
  EXPECT_NE(s.status().message().find("version 1 is missing"), std::string::npos);
}

TEST(DeltaLogTest, FolderWithoutLogIsNotFound) {
  testing::TestDir dir(false);
  DeltaLog log(dir.path(), "x");
  EXPECT_EQ(log.LatestVersion().status().code(), StatusCode::kNotFound);
  EXPECT_FALSE(log.Exists());
}

}  // namespace
}  // namespace dicomlake::lake
