#include "lake/delta_table.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "common/fs.h"
#include "lake/changes.h"
#include "lake/engine.h"
#include "support/delta_conformance.h"
#include "support/test_dir.h"

namespace dicomlake::lake {
namespace {

using nlohmann::json;

class DeltaTableTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto e = Engine::Open({1, ""});
    ASSERT_TRUE(e.ok());
    engine_ = std::move(*e);
  }

  static Schema PeopleSchema() {
    return Schema{
        {StringField("id", false), LongField("age"), TimestampField("updated"),
         StringField("created"),
         MakeField("tags", DataType::Array(DataType::Primitive(DataType::Kind::kString)))}};
  }

  DeltaTable MakeTable(TableOptions options = {}) {
    DeltaTable t(dir_.Sub("people"), "test/people", options);
    EXPECT_TRUE(t.Create(*engine_, PeopleSchema(), "people").ok());
    return t;
  }

  // Rows as "id:age" strings sorted by id, read through the table's scan.
  std::vector<std::string> Rows(const DeltaTable& t, std::optional<int64_t> version = {}) {
    auto s = t.Load(*engine_, version);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    auto scan = t.ScanSql(*s);
    EXPECT_TRUE(scan.ok()) << scan.status().ToString();
    auto r = engine_->Query(
        "SELECT id || ':' || coalesce(age::VARCHAR, '-') || ':' || coalesce(created, '-') FROM (" +
        *scan + ") ORDER BY id");
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    std::vector<std::string> out;
    for (const auto& row : r->rows) out.push_back(row[0].s);
    return out;
  }

  testing::TestDir dir_;
  std::unique_ptr<Engine> engine_;
};

constexpr const char* kThree =
    "SELECT * FROM (VALUES ('a', 30, TIMESTAMPTZ '2024-01-01 00:00:00+00', 'c1', ['x']), "
    "('b', 40, TIMESTAMPTZ '2024-01-01 00:00:00+00', 'c1', []), "
    "('c', NULL, TIMESTAMPTZ '2024-01-01 00:00:00+00', 'c1', NULL)) v(id, age, updated, created, "
    "tags)";

TEST_F(DeltaTableTest, CreateIsIdempotentAndRejectsAnotherSchema) {
  DeltaTable t = MakeTable();
  EXPECT_TRUE(t.Create(*engine_, PeopleSchema()).ok());
  EXPECT_EQ(t.Create(*engine_, Schema{{StringField("other")}}).code(), StatusCode::kAlreadyExists);
  auto s = t.Load(*engine_);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->version, 0);
  EXPECT_EQ(s->protocol.min_reader_version, 1);
  EXPECT_EQ(s->protocol.min_writer_version, 2);
  EXPECT_TRUE(s->files.empty());
  EXPECT_TRUE(Rows(t).empty());
}

TEST_F(DeltaTableTest, CreateAddsNullableColumnsToAnExistingTable) {
  DeltaTable t = MakeTable();
  ASSERT_TRUE(t.Append(*engine_, kThree).ok());
  auto before = t.Load(*engine_);
  ASSERT_TRUE(before.ok());
  Schema wider = PeopleSchema();
  wider.fields.push_back(
      MakeField("frames", DataType::Array(DataType::Struct({LongField("offset", false)}))));
  ASSERT_TRUE(t.Create(*engine_, wider).ok());
  auto after = t.Load(*engine_);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->version, before->version + 1);
  EXPECT_EQ(after->schema, wider);
  EXPECT_EQ(after->metadata.id, before->metadata.id);  // the same table
  EXPECT_EQ(after->files.size(), before->files.size());
  auto history = t.History();
  ASSERT_TRUE(history.ok());
  EXPECT_EQ(history->front().operation, "ADD COLUMNS");
  // Again: nothing to do. Old rows read the new column as NULL, new rows hold it.
  ASSERT_TRUE(t.Create(*engine_, wider).ok());
  EXPECT_EQ(t.Load(*engine_)->version, after->version);
  auto appended = t.Append(*engine_,
                           "SELECT 'd' AS id, 50 AS age, TIMESTAMPTZ '2024-01-02 00:00:00+00' AS "
                           "updated, 'c2' AS created, ['y'] AS tags, [{'offset': 7}] AS frames");
  ASSERT_TRUE(appended.ok()) << appended.status().ToString();
  auto scan = t.ScanSql(*t.Load(*engine_));
  ASSERT_TRUE(scan.ok());
  auto r = engine_->Query("SELECT id, frames::VARCHAR FROM (" + *scan + ") ORDER BY id");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->rows.size(), 4u);
  EXPECT_TRUE(r->rows[0][1].is_null());
  EXPECT_EQ(r->rows[3][1].s, "[{'offset': 7}]");
  // The conformance checker reads the evolved log as Spark would.
  EXPECT_EQ(testing::CheckDeltaTable(t.root()), std::vector<std::string>{});
  // Columns dropped, retyped or added as required are not evolved.
  Schema narrower = PeopleSchema();
  narrower.fields.pop_back();
  EXPECT_EQ(t.Create(*engine_, narrower).code(), StatusCode::kAlreadyExists);
  Schema required = wider;
  required.fields.push_back(StringField("must", false));
  EXPECT_EQ(t.Create(*engine_, required).code(), StatusCode::kAlreadyExists);
}

TEST_F(DeltaTableTest, ScanOfAColumnNoFileHasYetReadsNull) {
  DeltaTable t = MakeTable();
  ASSERT_TRUE(t.Append(*engine_, kThree).ok());
  Schema wider = PeopleSchema();
  wider.fields.push_back(StringField("note"));
  ASSERT_TRUE(t.Create(*engine_, wider).ok());
  auto scan = t.ScanSql(*t.Load(*engine_));
  ASSERT_TRUE(scan.ok());
  auto r = engine_->Query("SELECT count(*), count(note) FROM (" + *scan + ")");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->rows[0][0].i, 3);
  EXPECT_EQ(r->rows[0][1].i, 0);
}

TEST_F(DeltaTableTest, AppendWritesStatsAndRows) {
  DeltaTable t = MakeTable();
  auto out = t.Append(*engine_, kThree);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->version, 1);
  EXPECT_EQ(out->rows_written, 3);
  EXPECT_EQ(Rows(t), (std::vector<std::string>{"a:30:c1", "b:40:c1", "c:-:c1"}));
  auto s = t.Load(*engine_);
  ASSERT_EQ(s->files.size(), 1u);
  json stats = json::parse(s->files.begin()->second.stats);
  EXPECT_EQ(stats["numRecords"], 3);
  EXPECT_EQ(stats["minValues"]["id"], "a");
  EXPECT_EQ(stats["maxValues"]["id"], "c");
  EXPECT_EQ(stats["minValues"]["age"], 30);
  EXPECT_EQ(stats["maxValues"]["age"], 40);
  EXPECT_EQ(stats["nullCount"]["age"], 1);
  EXPECT_EQ(stats["nullCount"]["tags"], 1);
  EXPECT_FALSE(stats["minValues"].contains("tags"));
  EXPECT_EQ(stats["minValues"]["updated"], "2024-01-01T00:00:00.000Z");
  EXPECT_EQ(s->NumRecords(), 3);
}

TEST_F(DeltaTableTest, LongStringsKeepASafePrefixInStats) {
  DeltaTable t = MakeTable();
  std::string long_id(40, 'z');
  ASSERT_TRUE(
      t.Append(*engine_,
               "SELECT 'a' || repeat('b', 40) AS id, 1 AS age, NULL AS updated, NULL AS created, "
               "NULL AS tags UNION ALL SELECT '" +
                   long_id + "', 2, NULL, NULL, NULL")
          .ok());
  auto s = t.Load(*engine_);
  json stats = json::parse(s->files.begin()->second.stats);
  EXPECT_EQ(stats["minValues"]["id"].get<std::string>().size(), 32u);
  EXPECT_FALSE(stats["maxValues"].contains("id"));  // a 32-char prefix would be below the max
}

TEST_F(DeltaTableTest, EmptyAppendCommitsNothingAndNullInRequiredColumnFails) {
  DeltaTable t = MakeTable();
  auto empty = t.Append(*engine_, std::string(kThree) + " WHERE false");
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->version, -1);
  auto bad = t.Append(
      *engine_, "SELECT NULL AS id, 1 AS age, NULL AS updated, NULL AS created, NULL AS tags");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("id"), std::string::npos);
  EXPECT_EQ(*t.log().LatestVersion(), 0);
  // No stray data files are left.
  EXPECT_EQ(fs::ListDir(t.root())->size(), 1u);
}

// Stage progress: a txn action is committed with the write, even one that adds no rows, and is
// read back through replays and checkpoints.
TEST_F(DeltaTableTest, TransactionsRecordProgressWithTheWrite) {
  TableOptions options;
  options.checkpoint_interval = 2;
  DeltaTable t = MakeTable(options);
  t.SetTransaction("stage", 7);
  auto first = t.Append(*engine_, kThree);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->version, 1);
  t.SetTransaction("stage", 9);
  auto empty = t.Append(*engine_, std::string(kThree) + " WHERE false");
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->version, 2);  // committed for the txn alone
  EXPECT_EQ(empty->rows_written, 0);
  auto none = t.Append(*engine_, std::string(kThree) + " WHERE false");
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->version, -1);  // the txn was consumed: nothing to commit
  auto snap = t.Load(*engine_);
  ASSERT_TRUE(snap.ok());
  ASSERT_TRUE(snap->checkpoint_version.has_value());  // read through the version-2 checkpoint
  EXPECT_EQ(snap->txns.at("stage").version, 9);
  EXPECT_EQ(t.Load(*engine_, 1)->txns.at("stage").version, 7);
  EXPECT_EQ(Rows(t).size(), 3u);
}

TEST_F(DeltaTableTest, OverwriteReplacesEverything) {
  DeltaTable t = MakeTable();
  ASSERT_TRUE(t.Append(*engine_, kThree).ok());
  auto out = t.Overwrite(
      *engine_, "SELECT 'z' AS id, 1 AS age, NULL AS updated, 'c9' AS created, NULL AS tags");
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->files_removed, 1);
  EXPECT_EQ(Rows(t), (std::vector<std::string>{"z:1:c9"}));
  EXPECT_EQ(Rows(t, 1), (std::vector<std::string>{"a:30:c1", "b:40:c1", "c:-:c1"}));
}

TEST_F(DeltaTableTest, RewriteChangesNoDataForReadersOfChanges) {
  DeltaTable t = MakeTable();
  ASSERT_TRUE(t.Append(*engine_, kThree).ok());  // version 1
  auto rewrite = [&] {
    return t.Rewrite(
        *engine_,
        [](const std::string& rel) {
          return "SELECT * REPLACE ('r' || created AS created) FROM " + rel;
        },
        "REWRITE");
  };
  auto out = rewrite();  // version 2
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->version, 2);
  EXPECT_EQ(Rows(t), (std::vector<std::string>{"a:30:rc1", "b:40:rc1", "c:-:rc1"}));
  auto commit = t.log().ReadCommit(2);
  ASSERT_TRUE(commit.ok());
  ASSERT_EQ(commit->adds.size(), 1u);
  EXPECT_FALSE(commit->adds[0].data_change);
  EXPECT_FALSE(commit->removes.at(0).data_change);
  // Since version 1 the rewrite added nothing; a later append is what was added.
  auto now = t.Load(*engine_);
  EXPECT_TRUE(FilesAddedSince(t, *engine_, *now, 1)->empty());
  ASSERT_TRUE(t.Append(*engine_,
                       "SELECT 'd' AS id, 1 AS age, NULL AS updated, 'c2' AS created, "
                       "NULL AS tags")
                  .ok());  // version 3
  now = t.Load(*engine_);
  EXPECT_EQ(FilesAddedSince(t, *engine_, *now, 1)->size(), 1u);
  // A rewrite that swallows a file added since: that file's rows are only in the rewrite now,
  // so every file the older snapshot had not is taken.
  ASSERT_TRUE(rewrite().ok());  // version 4
  now = t.Load(*engine_);
  EXPECT_EQ(FilesAddedSince(t, *engine_, *now, 2)->size(), 1u);
  EXPECT_TRUE(FilesAddedSince(t, *engine_, *now, 3)->empty());
  EXPECT_TRUE(testing::CheckDeltaTable(t.root()).empty());
}

TEST_F(DeltaTableTest, DeleteByKeyRewritesOnlyFilesHoldingTheKeys) {
  DeltaTable t = MakeTable();
  ASSERT_TRUE(t.Append(*engine_, kThree).ok());
  ASSERT_TRUE(
      t.Append(*engine_,
               "SELECT 'd' AS id, 50 AS age, NULL AS updated, 'c2' AS created, NULL AS tags")
          .ok());
  auto before = t.Load(*engine_);
  auto out = t.DeleteByKey(*engine_, {"id"}, "SELECT 'b' AS id");
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->files_removed, 1);
  EXPECT_EQ(out->files_added, 1);
  EXPECT_EQ(Rows(t), (std::vector<std::string>{"a:30:c1", "c:-:c1", "d:50:c2"}));
  auto after = t.Load(*engine_);
  // The file holding 'd' is untouched.
  int kept = 0;
  for (const auto& [path, add] : before->files) kept += after->files.count(path);
  EXPECT_EQ(kept, 1);
  // A key that is nowhere commits nothing.
  auto none = t.DeleteByKey(*engine_, {"id"}, "SELECT 'nobody' AS id");
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->version, -1);
}

TEST_F(DeltaTableTest, UpsertNewerWinsAndKeepsPreservedColumns) {
  DeltaTable t = MakeTable();
  ASSERT_TRUE(t.Append(*engine_, kThree).ok());
  ASSERT_TRUE(
      t.Append(*engine_,
               "SELECT 'd' AS id, 50 AS age, NULL AS updated, 'c2' AS created, NULL AS tags")
          .ok());
  UpsertOptions o{{"id"}, "updated", {"created"}};
  // 'a' newer: replaced (created kept); 'b' older: ignored; 'e' new: inserted.
  auto out =
      t.Upsert(*engine_,
               "SELECT * FROM (VALUES ('a', 31, TIMESTAMPTZ '2024-02-01 00:00:00+00', 'c5', NULL), "
               "('b', 99, TIMESTAMPTZ '2023-01-01 00:00:00+00', 'c5', NULL), "
               "('e', 60, TIMESTAMPTZ '2024-02-01 00:00:00+00', 'c5', NULL)) v(id, age, updated, "
               "created, tags)",
               o);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->files_removed, 1);  // only the file holding 'a'
  EXPECT_EQ(Rows(t),
            (std::vector<std::string>{"a:31:c1", "b:40:c1", "c:-:c1", "d:50:c2", "e:60:c5"}));
  // The same upsert again changes nothing.
  auto again = t.Upsert(*engine_,
                        "SELECT 'a' AS id, 31 AS age, TIMESTAMPTZ '2024-02-01 00:00:00+00' AS "
                        "updated, 'c5' AS created, "
                        "NULL AS tags",
                        o);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->version, -1);
}

TEST_F(DeltaTableTest, UpsertWithoutOrderingReplacesAndDeduplicatesTheSource) {
  DeltaTable t = MakeTable();
  ASSERT_TRUE(t.Upsert(*engine_,
                       std::string(kThree) + " UNION ALL SELECT 'a', 30, NULL, 'c1', NULL",
                       {{"id"}, "", {}})
                  .ok());
  EXPECT_EQ(Rows(t).size(), 3u);
  ASSERT_TRUE(t.Upsert(*engine_,
                       "SELECT 'b' AS id, 1 AS age, NULL AS updated, 'n' AS created, NULL AS tags",
                       {{"id"}, "", {}})
                  .ok());
  EXPECT_EQ(Rows(t), (std::vector<std::string>{"a:30:c1", "b:1:n", "c:-:c1"}));
}

TEST_F(DeltaTableTest, CheckpointSnapshotEqualsReplayedSnapshot) {
  DeltaTable t = MakeTable(TableOptions{10});
  for (int k = 0; k < 12; ++k) {
    std::string id = "p" + std::to_string(k);
    ASSERT_TRUE(t.Append(*engine_, "SELECT '" + id + "' AS id, " + std::to_string(k) +
                                       " AS age, NULL AS updated, NULL AS created, NULL AS tags")
                    .ok());
    if (k == 5) {
      ASSERT_TRUE(t.DeleteByKey(*engine_, {"id"}, "SELECT 'p2' AS id").ok());
    }
  }
  // Versions: 0 create, 1..6 appends, 7 delete, 8..13 appends: a checkpoint at 10.
  std::string log = fs::Join(t.root(), "_delta_log");
  ASSERT_TRUE(fs::Exists(fs::Join(log, CheckpointFileName(10))));
  ASSERT_TRUE(fs::Exists(fs::Join(log, "_last_checkpoint")));
  auto via_checkpoint = t.Load(*engine_);
  ASSERT_TRUE(via_checkpoint.ok()) << via_checkpoint.status().ToString();
  EXPECT_EQ(via_checkpoint->checkpoint_version, 10);
  // Replay from JSON only: a copy of the table without the checkpoint.
  std::string copy = dir_.Sub("replayed");
  ASSERT_TRUE(fs::MakeDirs(fs::Join(copy, "_delta_log")).ok());
  auto entries = fs::ListDir(log);
  ASSERT_TRUE(entries.ok());
  for (const auto& e : *entries) {
    if (e.name.find(".json") == std::string::npos || e.name[0] == '_') continue;
    ASSERT_TRUE(fs::WriteFileAtomic(fs::Join(fs::Join(copy, "_delta_log"), e.name),
                                    *fs::ReadFile(fs::Join(log, e.name)))
                    .ok());
  }
  DeltaLog replay_log(copy, "copy");
  auto replayed = replay_log.LoadSnapshot(*engine_);
  ASSERT_TRUE(replayed.ok()) << replayed.status().ToString();
  EXPECT_FALSE(replayed->checkpoint_version.has_value());
  EXPECT_EQ(replayed->version, via_checkpoint->version);
  EXPECT_EQ(replayed->schema, via_checkpoint->schema);
  EXPECT_EQ(replayed->metadata.id, via_checkpoint->metadata.id);
  ASSERT_EQ(replayed->files.size(), via_checkpoint->files.size());
  for (const auto& [path, add] : replayed->files) {
    ASSERT_TRUE(via_checkpoint->files.count(path)) << path;
    const AddAction& other = via_checkpoint->files.at(path);
    EXPECT_EQ(add.size, other.size);
    EXPECT_EQ(add.stats, other.stats);
    EXPECT_EQ(add.modification_time, other.modification_time);
  }
  EXPECT_EQ(replayed->tombstones.size(), via_checkpoint->tombstones.size());
  EXPECT_EQ(Rows(t).size(), 11u);
  (void)fs::RemoveAll(copy);
}

TEST_F(DeltaTableTest, TimeTravelReadsEveryVersion) {
  DeltaTable t = MakeTable();
  for (int k = 0; k < 4; ++k) {
    ASSERT_TRUE(t.Append(*engine_, "SELECT 'p" + std::to_string(k) +
                                       "' AS id, 1 AS age, NULL AS updated, "
                                       "NULL AS created, NULL AS tags")
                    .ok());
  }
  for (int v = 0; v <= 4; ++v) EXPECT_EQ(Rows(t, v).size(), static_cast<size_t>(v));
  auto missing = t.Load(*engine_, 9);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("version 9 does not exist"), std::string::npos);
}

TEST_F(DeltaTableTest, HistoryListsOperationsNewestFirst) {
  DeltaTable t = MakeTable();
  ASSERT_TRUE(t.Append(*engine_, kThree).ok());
  ASSERT_TRUE(t.DeleteByKey(*engine_, {"id"}, "SELECT 'a' AS id").ok());
  auto h = t.History();
  ASSERT_TRUE(h.ok());
  ASSERT_EQ(h->size(), 3u);
  EXPECT_EQ((*h)[0].operation, "DELETE");
  EXPECT_EQ((*h)[1].operation, "WRITE");
  EXPECT_EQ((*h)[2].operation, "CREATE TABLE");
  EXPECT_NE((*h)[1].operation_metrics.find("\"numOutputRows\":\"3\""), std::string::npos);
}

TEST_F(DeltaTableTest, VacuumDeletesOnlyExpiredUnreferencedFiles) {
  DeltaTable t = MakeTable();
  ASSERT_TRUE(t.Append(*engine_, kThree).ok());
  ASSERT_TRUE(
      t.Overwrite(*engine_,
                  "SELECT 'z' AS id, 1 AS age, NULL AS updated, NULL AS created, NULL AS tags")
          .ok());
  // An orphan from a crashed writer.
  ASSERT_TRUE(fs::WriteFileAtomic(fs::Join(t.root(), "part-orphan.parquet"), "x").ok());
  auto kept = t.Vacuum(*engine_, 168);
  ASSERT_TRUE(kept.ok());
  EXPECT_TRUE(kept->deleted.empty());
  auto dry = t.Vacuum(*engine_, 0, true);
  ASSERT_TRUE(dry.ok());
  EXPECT_EQ(dry->deleted.size(), 2u);
  EXPECT_EQ(Rows(t, 1).size(), 3u);  // dry run deleted nothing
  auto done = t.Vacuum(*engine_, 0);
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(done->deleted.size(), 2u);
  EXPECT_EQ(Rows(t), (std::vector<std::string>{"z:1:-"}));
  EXPECT_TRUE(fs::Exists(fs::Join(t.root(), "_delta_log/00000000000000000000.json")));
}

TEST_F(DeltaTableTest, MissingDataFileIsAClearError) {
  testing::TestDir broken(false);
  DeltaTable t(broken.Sub("t"), "bronze/Broken");
  ASSERT_TRUE(t.Create(*engine_, PeopleSchema()).ok());
  ASSERT_TRUE(t.Append(*engine_, kThree).ok());
  auto s = t.Load(*engine_);
  ASSERT_TRUE(fs::RemoveFile(fs::Join(t.root(), s->files.begin()->first)).ok());
  auto scan = t.ScanSql(*s);
  ASSERT_FALSE(scan.ok());
  EXPECT_NE(scan.status().message().find("bronze/Broken version 1"), std::string::npos);
  EXPECT_NE(scan.status().message().find("is missing"), std::string::npos);
}

TEST_F(DeltaTableTest, TruncatedCommitIsAClearError) {
  testing::TestDir broken(false);
  DeltaTable t(broken.Sub("t"), "silver/Broken");
  ASSERT_TRUE(t.Create(*engine_, PeopleSchema()).ok());
  ASSERT_TRUE(t.Append(*engine_, kThree).ok());
  std::string commit = fs::Join(t.root(), "_delta_log/00000000000000000001.json");
  std::string text = *fs::ReadFile(commit);
  ASSERT_TRUE(fs::RemoveFile(commit).ok());
  ASSERT_TRUE(fs::WriteFileAtomic(commit, text.substr(0, text.size() / 2)).ok());
  auto s = t.Load(*engine_);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kCorrupt);
  EXPECT_NE(s.status().message().find("silver/Broken version 1"), std::string::npos);
  // Writing refuses too, rather than building on a broken log.
  EXPECT_FALSE(t.Append(*engine_, kThree).ok());
}

TEST_F(DeltaTableTest, NewerProtocolIsRefusedWithTableAndVersion) {
  testing::TestDir broken(false);
  DeltaTable t(broken.Sub("t"), "gold/Future");
  ASSERT_TRUE(t.Create(*engine_, PeopleSchema()).ok());
  Commit c;
  c.protocol = ProtocolAction{3, 7, {"deletionVectors"}, {"deletionVectors"}};
  ASSERT_TRUE(t.log().TryCommit(1, c).ok());
  auto s = t.Load(*engine_);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(s.status().message().find("gold/Future version 1"), std::string::npos);
  EXPECT_NE(s.status().message().find("reader version 3"), std::string::npos);
}

TEST_F(DeltaTableTest, AppendOnlyTablesRefuseRewrites) {
  DeltaTable t(dir_.Sub("ao"), "test/ao");
  ASSERT_TRUE(t.Create(*engine_, PeopleSchema(), "", {{"delta.appendOnly", "true"}}).ok());
  ASSERT_TRUE(t.Append(*engine_, kThree).ok());
  auto del = t.DeleteByKey(*engine_, {"id"}, "SELECT 'a' AS id");
  ASSERT_FALSE(del.ok());
  EXPECT_NE(del.status().message().find("append-only"), std::string::npos);
}

TEST_F(DeltaTableTest, WrittenTablesPassTheIndependentChecker) {
  DeltaTable t = MakeTable(TableOptions{3});
  for (int k = 0; k < 7; ++k) ASSERT_TRUE(t.Append(*engine_, kThree).ok());
  ASSERT_TRUE(t.DeleteByKey(*engine_, {"id"}, "SELECT 'a' AS id").ok());
  auto problems = testing::CheckDeltaTable(t.root());
  EXPECT_TRUE(problems.empty()) << problems[0];
}

}  // namespace
}  // namespace dicomlake::lake
