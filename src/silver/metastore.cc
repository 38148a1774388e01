#include "silver/metastore.h"

#include "bronze/imaging_dicom.h"
#include "lake/changes.h"
#include "lake/delta_table.h"
#include "lake/engine.h"
#include "lake/lake.h"
#include "silver/fhir_tables.h"

namespace dicomlake::silver {
namespace {

constexpr const char* kMetastoreApp = "dicomlake.silver.ImagingMetastore<-bronze.ImagingDicom";

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
  upsert.key_columns = {"studyInstanceUid", "seriesInstanceUid", "sopInstanceUid",
                        "msftSourceSystem"};
  upsert.newer_wins_column = "sourceModifiedAt";
  upsert.preserve_columns = {"msftCreatedDatetime"};
  DL_ASSIGN_OR_RETURN(
      lake::CommitOutcome outcome,
      meta.Upsert(engine,
                  source + " AND studyInstanceUid IS NOT NULL AND seriesInstanceUid IS NOT NULL "
                           "AND sopInstanceUid IS NOT NULL",
                  upsert));
  rows += outcome.rows_written;
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
