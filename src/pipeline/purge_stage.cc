#include "pipeline/purge_stage.h"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "bronze/imaging_dicom.h"
#include "common/fs.h"
#include "common/time_util.h"
#include "config/config.h"
#include "lake/delta_table.h"
#include "lake/engine.h"
#include "lake/lake.h"
#include "lake/temp_tables.h"
#include "pipeline/admin_tables.h"
#include "pipeline/fhir_stage.h"
#include "pipeline/stage_runner.h"
#include "pipeline/stage_support.h"
#include "silver/metastore.h"

namespace dicomlake::pipeline {

namespace {

// bronze.ImagingDicom's columns that a purged instance keeps: everything but the DICOM JSON
// (silver.ImagingMetastore has it) and the per-file details nothing reads later.
const std::vector<std::string>& KeptColumns() {
  static const std::vector<std::string> kColumns{
      "sourceSystem",    "patientId",         "studyInstanceUid", "seriesInstanceUid",
      "sopInstanceUid",  "sopClassUid",       "modality",         "seriesDescription",
      "instanceNumber",  "transferSyntaxUid", "contentHash",      "fileSize",
      "filePath",        "archiveMember",     "sourceFilePath",   "sourceModifiedAt",
      "createdDatetime", "frameIndex"};
  return kColumns;
}

// The key of a bronze row: the instance version, where and when it was ingested.
constexpr const char* kRowKey[] = {"sourceSystem", "sopInstanceUid", "contentHash",
                                   "createdDatetime"};

}  // namespace

lake::Schema PurgedInstancesSchema() {
  lake::Schema schema;
  const lake::Schema bronze = bronze::ImagingDicomSchema();
  for (const auto& name : KeptColumns())
    schema.fields.push_back(bronze.fields.at(bronze.IndexOf(name)));
  schema.fields.push_back(lake::TimestampField("purgedDatetime"));
  schema.fields.push_back(lake::StringField("purgeRunId"));
  // Added with bronze's datasetHash (deduplication keys on it): last, so that records
  // written before widen to it.
  schema.fields.push_back(bronze.fields.at(bronze.IndexOf("datasetHash")));
  return schema;
}

const std::string& PurgedInstanceColumnsSql() {
  static const std::string kSql = [] {
    std::string s;
    for (const auto& c : KeptColumns()) s += (s.empty() ? "" : ", ") + lake::QuoteIdent(c);
    return s;
  }();
  return kSql;
}

std::string PurgeSummary::ToJson() const {
  nlohmann::ordered_json j;
  j["runId"] = run_id;
  j["dryRun"] = dry_run;
  j["consumedVersion"] = consumed_version;
  j["rowsPurged"] = rows_purged;
  j["rowsKept"] = rows_kept;
  j["bronzeVersion"] = bronze_version;
  if (!reason.empty()) j["reason"] = reason;
  j["elapsedSeconds"] = elapsed_seconds;
  return j.dump(2);
}

namespace {

Status Purge(StageRun& run, const PurgeRequest& request, PurgeSummary* summary) {
  summary->dry_run = request.dry_run;
  // No ingest while rows go: its deduplication reads bronze and the purged records.
  StageLock ingest;
  DL_RETURN_IF_ERROR(
      ingest.Acquire(fs::Join(run.lake.FilesPath("bronze"), ".ingest.lock"), "ingest"));
  lake::DeltaTable bronze = run.lake.OpenTable(lake::table::kImagingDicom);
  if (!bronze.Exists()) {
    summary->reason = "nothing ingested yet";
    return Status::Ok();
  }
  // A bronze written before datasetHash existed is widened to it first (the records carry it).
  DL_RETURN_IF_ERROR(
      bronze.Create(run.engine, bronze::ImagingDicomSchema(), bronze::kImagingDicomDescription));
  // Rows present at the bronze version both the fhir stage and the silver metastore consumed
  // are in the FHIR NDJSON and in silver.
  DL_ASSIGN_OR_RETURN(int64_t fhir,
                      LastRecordedVersion(run.lake, run.engine, kFhirActivity, "bronzeVersion"));
  DL_ASSIGN_OR_RETURN(int64_t metastore, silver::MetastoreConsumedVersion(run.lake, run.engine));
  DL_ASSIGN_OR_RETURN(lake::Snapshot now, bronze.Load(run.engine));
  const int64_t consumed = std::min({fhir, metastore, now.version});
  summary->consumed_version = consumed;
  if (consumed < 0) {
    summary->reason = fhir < 0 ? "the fhir stage has not run yet: run `dicomlake run` first"
                               : "the silver stage has not run yet: run `dicomlake run` first";
    return Status::Ok();
  }
  DL_ASSIGN_OR_RETURN(lake::Snapshot then, bronze.Load(run.engine, consumed));
  DL_ASSIGN_OR_RETURN(std::string scan_now, bronze.ScanSql(now));
  DL_ASSIGN_OR_RETURN(std::string scan_then, bronze.ScanSql(then));
  std::string key, join;
  for (const char* c : kRowKey) {
    key += (key.empty() ? "" : ", ") + lake::QuoteIdent(c);
    join += std::string(join.empty() ? "" : " AND ") + "n." + lake::QuoteIdent(c) + " = t." +
            lake::QuoteIdent(c);
  }
  std::string before;
  if (request.before_us) {
    before = fmt::format(" AND n.createdDatetime < make_timestamp({}::BIGINT)", *request.before_us);
  }
  // Instances (not operation rows) with the whole key; a row without a SOP Instance UID or hash
  // stays (it could not be told apart from another later).
  lake::TempTables temps(run.engine);
  const std::string purged = temps.Add("__dl_purge_rows");
  DL_RETURN_IF_ERROR(run.engine.Execute(
      "CREATE TEMP TABLE " + purged + " AS SELECT n.* FROM (" + scan_now + ") n SEMI JOIN (" +
      scan_then + ") t ON " + join +
      " WHERE n.operation IS NULL AND n.sopInstanceUid IS NOT NULL AND n.contentHash IS NOT NULL" +
      before));
  DL_ASSIGN_OR_RETURN(lake::QueryResult counts,
                      run.engine.Query("SELECT (SELECT count(*) FROM " + purged +
                                       "), (SELECT count(*) FROM (" + scan_now + "))"));
  summary->rows_purged = counts.rows.at(0).at(0).i;
  summary->rows_kept = counts.rows.at(0).at(1).i - summary->rows_purged;
  if (summary->rows_purged == 0) {
    summary->reason = "no bronze row left that the fhir and silver stages have consumed";
    if (request.before_us) {
      summary->reason += " and that was ingested before " + FormatTimestampIso(*request.before_us);
    }
    return Status::Ok();
  }
  if (request.dry_run) return Status::Ok();

  // First the records (those a killed earlier purge did not write), then the rows go.
  lake::DeltaTable records = run.lake.OpenTable(lake::table::kPurgedInstances);
  DL_RETURN_IF_ERROR(records.Create(run.engine, PurgedInstancesSchema(),
                                    "dicomlake: bronze rows purged, without their DICOM JSON"));
  DL_ASSIGN_OR_RETURN(lake::Snapshot held, records.Load(run.engine));
  std::string not_held;
  if (!held.files.empty()) {
    DL_ASSIGN_OR_RETURN(std::string scan_held, records.ScanSql(held));
    not_held = " ANTI JOIN (" + scan_held + ") t ON " + join;
  }
  DL_RETURN_IF_ERROR(
      records
          .Append(run.engine,
                  fmt::format("SELECT {}, make_timestamp({}::BIGINT) AS purgedDatetime, {} AS "
                              "purgeRunId, datasetHash FROM {} n{}",
                              PurgedInstanceColumnsSql(), run.started_us(),
                              lake::QuoteLiteral(run.run_id()), purged, not_held))
          .status());
  DL_ASSIGN_OR_RETURN(
      lake::CommitOutcome deleted,
      bronze.DeleteByKey(run.engine,
                         std::vector<std::string>(std::begin(kRowKey), std::end(kRowKey)),
                         "SELECT " + key + " FROM " + purged));
  summary->bronze_version = deleted.version;
  ExecutionSummary& es = run.summary;
  es.source_lakehouse = "bronze";
  es.target_lakehouse = "admin";
  es.source_records = summary->rows_purged + summary->rows_kept;
  es.target_records = summary->rows_purged;
  es.target_granular = {{"PurgedInstances", summary->rows_purged}};
  es.attributes = {
      {"consumedVersion", std::to_string(consumed)},
      {"rowsPurged", std::to_string(summary->rows_purged)},
      {"bronzeVersion", std::to_string(deleted.version)},
      {"before", request.before_us ? FormatTimestampIso(*request.before_us) : std::string()}};
  return Status::Ok();
}

}  // namespace

Result<PurgeSummary> RunPurge(const lake::Lake& lake, lake::Engine& engine,
                              const config::Config& config, const PurgeRequest& request) {
  static const StageSpec kPurge{"purge", kPurgeActivity, "bronze"};
  return RunStageFor<PurgeSummary>(
      kPurge, lake, engine, config,
      [&request](StageRun& run, PurgeSummary* summary) { return Purge(run, request, summary); });
}

}  // namespace dicomlake::pipeline
