#include "silver/metastore.h"

#include "bronze/imaging_dicom.h"
#include "bronze/operations.h"
#include "lake/changes.h"
#include "lake/delta_table.h"
#include "lake/engine.h"
#include "lake/lake.h"
#include "lake/temp_tables.h"
#include "silver/fhir_tables.h"

namespace dicomlake::silver {
namespace {

constexpr const char* kMetastoreApp = "dicomlake.silver.ImagingMetastore<-bronze.ImagingDicom";

// Of the versions of an instance read in one run, the newest: by sourceModifiedAt, then the later
// ingested, then the content hash (files written within the same millisecond tie on their time;
// bronze::ChangedStudies picks the same one for FHIR).
constexpr const char* kNewestVersion =
    " QUALIFY row_number() OVER (PARTITION BY studyInstanceUid, seriesInstanceUid, "
    "sopInstanceUid, sourceSystem ORDER BY sourceModifiedAt DESC NULLS LAST, createdDatetime "
    "DESC, contentHash DESC) = 1";

constexpr const char* kKeyColumns[] = {"studyInstanceUid", "seriesInstanceUid", "sopInstanceUid",
                                       "msftSourceSystem"};

// Carries bronze's operation rows (bronze/operations.h) into the metastore: every row of a study
// with a row among `added` (an instance or an operation) that an operation applies to gets
// msftIsDeleted and the patches. Applying the patches again to a row that has them changes
// nothing (each sets whole attributes), so only rows that change are written, and a replay
// after a crash writes nothing twice. Rows without all three UIDs are not matched by the key
// and are left as they are.
Result<int64_t> ApplyOperations(lake::DeltaTable& meta, lake::Engine& engine,
                                const std::string& bronze_scan,
                                const std::vector<std::string>& added, int64_t now_us) {
  lake::TempTables temps(engine);
  const std::string ops = temps.Add("__dl_meta_ops");
  DL_RETURN_IF_ERROR(engine.Execute(
      "CREATE TEMP TABLE " + ops +
      " AS SELECT sourceSystem, studyInstanceUid, seriesInstanceUid, sopInstanceUid, operation, "
      "sourceModifiedAt, createdDatetime, metadata_string FROM (" +
      bronze_scan + ") WHERE operation IS NOT NULL"));
  DL_ASSIGN_OR_RETURN(lake::QueryResult n, engine.Query("SELECT count(*) FROM " + ops));
  if (n.rows.at(0).at(0).i == 0) return int64_t{0};
  DL_ASSIGN_OR_RETURN(lake::Snapshot snap, meta.Load(engine));
  if (snap.files.empty()) return int64_t{0};
  DL_ASSIGN_OR_RETURN(std::string meta_scan, meta.ScanSql(snap));
  std::string applies =
      bronze::OperationAppliesSql("o", "m.msftSourceSystem", "m.studyInstanceUid",
                                  "m.seriesInstanceUid", "m.sopInstanceUid", "m.sourceModifiedAt");
  DL_ASSIGN_OR_RETURN(
      lake::QueryResult affected,
      engine.Query(
          "WITH touched AS (SELECT DISTINCT sourceSystem, studyInstanceUid FROM " +
          lake::ParquetScan(added) + "), m AS (SELECT * FROM (" + meta_scan +
          ") m SEMI JOIN touched t ON t.sourceSystem = m.msftSourceSystem AND "
          "t.studyInstanceUid = m.studyInstanceUid WHERE m.studyInstanceUid IS NOT NULL AND "
          "m.seriesInstanceUid IS NOT NULL AND m.sopInstanceUid IS NOT NULL), applied AS "
          "(SELECT m.studyInstanceUid, m.seriesInstanceUid, m.sopInstanceUid, "
          "m.msftSourceSystem, bool_or(o.operation = " +
          lake::QuoteLiteral(bronze::kSoftDelete) +
          ") AS deleted, list(o.metadata_string ORDER BY o.sourceModifiedAt, o.createdDatetime) "
          "FILTER (WHERE o.operation = " +
          lake::QuoteLiteral(bronze::kPatch) + ") AS patches FROM m JOIN " + ops + " o ON " +
          applies +
          " GROUP BY ALL) SELECT a.*, m.metadata_string, coalesce(m.msftIsDeleted, false) FROM "
          "applied a JOIN m USING (studyInstanceUid, seriesInstanceUid, sopInstanceUid, "
          "msftSourceSystem)"));
  std::vector<lake::Row> changed;
  for (auto& r : affected.rows) {
    std::vector<std::string> patches;
    if (!r[5].is_null())
      for (auto& p : r[5].items) patches.push_back(std::move(p.s));
    DL_ASSIGN_OR_RETURN(std::string patched, bronze::ApplyTagPatches(r[6].s, patches));
    const bool deleted = r[4].b;
    if (patched == r[6].s && deleted == r[7].b) continue;
    changed.push_back({r[0], r[1], r[2], r[3], lake::Value::String(std::move(patched)),
                       lake::Value::Bool(deleted)});
  }
  if (changed.empty()) return int64_t{0};
  lake::Schema schema;
  for (const char* k : kKeyColumns) schema.fields.push_back(lake::StringField(k));
  schema.fields.push_back(lake::StringField("metadata_string"));
  schema.fields.push_back(lake::BoolField("msftIsDeleted"));
  const std::string staged = temps.Add("__dl_meta_operated");
  DL_RETURN_IF_ERROR(lake::CreateStagingTable(engine, staged, schema, changed, false));
  lake::UpsertOptions upsert;
  upsert.key_columns.assign(std::begin(kKeyColumns), std::end(kKeyColumns));
  DL_RETURN_IF_ERROR(
      meta.Upsert(engine,
                  "SELECT m.* REPLACE (s.metadata_string AS metadata_string, s.msftIsDeleted AS "
                  "msftIsDeleted, make_timestamp(" +
                      std::to_string(now_us) + "::BIGINT) AS msftModifiedDatetime) FROM (" +
                      meta_scan + ") m JOIN " + staged +
                      " s USING (studyInstanceUid, seriesInstanceUid, sopInstanceUid, "
                      "msftSourceSystem)",
                  upsert)
          .status());
  return static_cast<int64_t>(changed.size());
}

}  // namespace

Result<int64_t> MetastoreConsumedVersion(const lake::Lake& lake, lake::Engine& engine) {
  lake::DeltaTable meta = lake.OpenTable(lake::table::kImagingMetastore);
  if (!meta.Exists()) return int64_t{-1};
  DL_ASSIGN_OR_RETURN(lake::Snapshot snap, meta.Load(engine));
  auto txn = snap.txns.find(kMetastoreApp);
  return txn == snap.txns.end() ? int64_t{-1} : txn->second.version;
}

Result<int64_t> UpdateMetastore(const lake::Lake& lake, lake::Engine& engine, int64_t now_us) {
  int64_t rows = 0;
  lake::DeltaTable bronze = lake.OpenTable(lake::table::kImagingDicom);
  if (!bronze.Exists()) return rows;
  lake::DeltaTable meta = lake.OpenTable(lake::table::kImagingMetastore);
  DL_RETURN_IF_ERROR(meta.Create(engine, silver::ImagingMetastoreSchema(),
                                 "dicomlake: every tag of every instance"));
  DL_ASSIGN_OR_RETURN(lake::Snapshot bronze_snap, bronze.Load(engine));
  DL_ASSIGN_OR_RETURN(lake::Snapshot meta_snap, meta.Load(engine));
  int64_t since = -1;
  auto txn = meta_snap.txns.find(kMetastoreApp);
  if (txn != meta_snap.txns.end()) since = txn->second.version;
  if (since >= bronze_snap.version) return rows;
  DL_ASSIGN_OR_RETURN(auto added, lake::FilesAddedSince(bronze, engine, bronze_snap, since));
  if (added.empty()) return rows;
  // The id is the silver id of the instance's ImagingStudy: SHA-256 of
  // "<ns>/ImagingStudy/<resource id>", the resource id being SHA-256 of "<ns>/<group key>"
  // (fhir::ResourceId); both computed by DuckDB's sha256 here and checked equal in the tests.
  std::string gkey = bronze::kStudyGroupKeySql;
  std::string now = "make_timestamp(" + std::to_string(now_us) + "::BIGINT)";
  std::string source =
      "SELECT sha256(sourceSystem || '/ImagingStudy/' || sha256(sourceSystem || '/' || " + gkey +
      ")) AS id, studyInstanceUid, seriesInstanceUid, sopInstanceUid, sourceSystem AS "
      "msftSourceSystem, metadata_string, filePath, archiveMember, contentHash, "
      "sourceModifiedAt, false AS msftIsDeleted, " +
      now + " AS msftCreatedDatetime, " + now + " AS msftModifiedDatetime FROM " +
      lake::ParquetScan(added) + " WHERE operation IS NULL";
  lake::UpsertOptions upsert;
  upsert.key_columns.assign(std::begin(kKeyColumns), std::end(kKeyColumns));
  upsert.newer_wins_column = "sourceModifiedAt";
  upsert.preserve_columns = {"msftCreatedDatetime"};
  DL_ASSIGN_OR_RETURN(
      lake::CommitOutcome outcome,
      meta.Upsert(engine,
                  source +
                      " AND studyInstanceUid IS NOT NULL AND seriesInstanceUid IS NOT NULL "
                      "AND sopInstanceUid IS NOT NULL" +
                      kNewestVersion,
                  upsert));
  rows += outcome.rows_written;
  DL_ASSIGN_OR_RETURN(std::string bronze_scan, bronze.ScanSql(bronze_snap));
  DL_ASSIGN_OR_RETURN(int64_t operated, ApplyOperations(meta, engine, bronze_scan, added, now_us));
  rows += operated;
  // Instances missing a UID cannot be matched by the key: each new file version is a row of its
  // own. This last commit also records the bronze version consumed (replaying the upsert after a
  // crash before it changes nothing).
  meta.SetTransaction(kMetastoreApp, bronze_snap.version);
  DL_ASSIGN_OR_RETURN(
      outcome,
      meta.Append(engine, source + " AND (studyInstanceUid IS NULL OR "
                                   "seriesInstanceUid IS NULL OR sopInstanceUid IS NULL)"));
  rows += outcome.rows_written;
  return rows;
}

}  // namespace dicomlake::silver
