#include "pipeline/operations_stage.h"

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>
#include <nlohmann/json.hpp>
#include <set>
#include <string_view>

#include "bronze/file_store.h"
#include "bronze/imaging_dicom.h"
#include "bronze/operations.h"
#include "common/fs.h"
#include "common/hash.h"
#include "config/config.h"
#include "lake/delta_table.h"
#include "lake/engine.h"
#include "lake/temp_tables.h"
#include "pipeline/frame_access.h"
#include "pipeline/stage_runner.h"
#include "pipeline/stage_support.h"

namespace dicomlake::pipeline {
namespace {

using json = nlohmann::ordered_json;

// The user running dicomlake: $USER, else the account name of the real user id.
std::string CurrentUser() {
  if (const char* user = std::getenv("USER"); user != nullptr && *user != '\0') return user;
  if (const passwd* pw = ::getpwuid(::getuid()); pw != nullptr && pw->pw_name != nullptr)
    return pw->pw_name;
  return "uid " + std::to_string(::getuid());
}

// The last component of `path`.
std::string FileName(const std::string& path) { return path.substr(path.rfind('/') + 1); }

// The level the request targets and the SQL of its targets: (sourceSystem, studyInstanceUid,
// seriesInstanceUid, sopInstanceUid) with NULL for the levels below the target's, over the
// stored instances `instances`.
Result<std::string> TargetsSql(lake::Engine& engine, const OperationRequest& r,
                               const std::string& instances, std::string* what) {
  std::string where = "i.operation IS NULL AND i.studyInstanceUid IS NOT NULL";
  if (!r.only_namespace.empty())
    where += " AND i.sourceSystem = " + lake::QuoteLiteral(r.only_namespace);
  std::string level;  // the deepest UID column an operation row names
  if (!r.sql.empty()) {
    DL_ASSIGN_OR_RETURN(lake::QueryResult probe,
                        engine.Query("SELECT * FROM (" + r.sql + ") LIMIT 0"));
    std::set<std::string> columns(probe.column_names.begin(), probe.column_names.end());
    for (const char* c : {"sopInstanceUid", "seriesInstanceUid", "studyInstanceUid"}) {
      if (columns.count(c) != 0) {
        level = c;
        break;
      }
    }
    if (level.empty()) {
      return InvalidArgument(
          "--sql: the query returns no sopInstanceUid, seriesInstanceUid or studyInstanceUid "
          "column");
    }
    std::string on = "q." + level + " = i." + level;
    if (columns.count("sourceSystem") != 0) on += " AND q.sourceSystem = i.sourceSystem";
    where += " AND EXISTS (SELECT 1 FROM (" + r.sql + ") q WHERE " + on + ")";
    *what = "the instances of --sql";
  } else if (!r.sop_uid.empty()) {
    level = "sopInstanceUid";
    where += " AND i.sopInstanceUid = " + lake::QuoteLiteral(r.sop_uid);
    *what = "instance " + r.sop_uid;
  } else if (!r.series_uid.empty()) {
    level = "seriesInstanceUid";
    where += " AND i.seriesInstanceUid = " + lake::QuoteLiteral(r.series_uid);
    *what = "series " + r.series_uid;
  } else if (!r.study_uid.empty()) {
    level = "studyInstanceUid";
    where += " AND i.studyInstanceUid = " + lake::QuoteLiteral(r.study_uid);
    *what = "study " + r.study_uid;
  } else {
    return InvalidArgument("name a target: --study, --series, --sop or --sql");
  }
  std::string series = level == "studyInstanceUid" ? "NULL" : "i.seriesInstanceUid";
  std::string sop = level == "sopInstanceUid" ? "i.sopInstanceUid" : "NULL";
  // Instances without a series UID cannot be targeted below the study.
  if (level != "studyInstanceUid") where += " AND i.seriesInstanceUid IS NOT NULL";
  return "SELECT i.sourceSystem, i.studyInstanceUid, " + series +
         "::VARCHAR AS seriesInstanceUid, " + sop +
         "::VARCHAR AS sopInstanceUid, count(DISTINCT coalesce(i.sopInstanceUid, "
         "i.contentHash)) AS instances FROM " +
         instances + " i WHERE " + where + " GROUP BY ALL ORDER BY ALL";
}

Status RecordOperation(StageRun& run, const OperationRequest& request, OperationSummary* summary) {
  summary->operation = request.operation;
  summary->dry_run = request.dry_run;
  if (request.operation != bronze::kSoftDelete && request.operation != bronze::kPatch)
    return InvalidArgument("unknown operation " + request.operation);
  if (request.reason.empty()) return InvalidArgument("--reason is required: say why");
  if (request.operation == bronze::kPatch)
    DL_RETURN_IF_ERROR(bronze::ValidateTagPatch(request.tags_json));
  lake::DeltaTable bronze = run.lake.OpenTable(lake::table::kImagingDicom);
  if (!bronze.Exists()) return NotFound("the lake holds no instance yet (nothing ingested)");
  std::vector<std::string> warnings;
  DL_RETURN_IF_ERROR(run.lake.RegisterViews(run.engine, &warnings));
  DL_ASSIGN_OR_RETURN(std::string instances, InstancesRelation(run.engine));
  std::string what;
  DL_ASSIGN_OR_RETURN(std::string targets_sql, TargetsSql(run.engine, request, instances, &what));
  DL_ASSIGN_OR_RETURN(lake::QueryResult targets, run.engine.Query(targets_sql));
  if (targets.rows.empty()) {
    return NotFound(
        "no stored instance matches " + what +
        (request.only_namespace.empty() ? "" : " in namespace " + request.only_namespace));
  }
  std::set<std::string> studies;
  std::vector<lake::Row> rows;
  for (const auto& t : targets.rows) {
    bronze::Operation op;
    op.operation = request.operation;
    op.namespace_name = t[0].text();
    op.study_uid = t[1].text();
    op.series_uid = t[2].text();
    op.sop_uid = t[3].text();
    op.tags_json = request.tags_json;
    op.modified_us = run.started_us();
    summary->instances_targeted += t[4].i;
    if (studies.insert(op.study_uid).second && summary->studies.size() < 100)
      summary->studies.push_back(op.study_uid);
    rows.push_back(bronze::MakeOperationRow(op, run.run_id(), run.started_us()));
  }
  summary->studies_targeted = static_cast<int64_t>(studies.size());
  summary->operations_recorded = static_cast<int64_t>(rows.size());
  if (request.dry_run) {
    run.record_summary = false;
    return Status::Ok();
  }
  DL_RETURN_IF_ERROR(bronze.AppendRows(run.engine, rows).status());

  // Who, when (the row's time), what and why.
  json details;
  details["operation"] = request.operation;
  details["who"] = request.who.empty() ? CurrentUser() : request.who;
  details["reason"] = request.reason;
  details["target"] = what;
  if (!request.sql.empty()) details["sql"] = request.sql;
  if (!request.only_namespace.empty()) details["namespace"] = request.only_namespace;
  if (!request.tags_json.empty()) details["tags"] = json::parse(request.tags_json);
  details["operations"] = summary->operations_recorded;
  details["instances"] = summary->instances_targeted;
  details["studies"] = summary->studies;
  BusinessEvent event;
  event.severity = "Information";
  event.event_type = "operation:" + request.operation;
  event.record_identifier = what;
  event.target_table_name = "ImagingDicom";
  event.message = request.operation + " of " + what + " by " + details["who"].get<std::string>() +
                  ": " + request.reason;
  event.custom_dimensions = details.dump();
  run.AddEvent(std::move(event));

  ExecutionSummary& es = run.summary;
  es.source_lakehouse = es.target_lakehouse = "bronze";
  es.target_path = bronze.root();
  es.target_records = summary->operations_recorded;
  es.source_records = summary->instances_targeted;
  es.target_granular = {{"ImagingDicom", summary->operations_recorded}};
  es.attributes = {{"operation", request.operation},
                   {"instancesTargeted", std::to_string(summary->instances_targeted)}};
  return Status::Ok();
}

// ---- Erasure (`delete --purge`) ----

constexpr const char* kRowKey[] = {"sourceSystem", "sopInstanceUid", "contentHash",
                                   "createdDatetime"};

Status Erase(StageRun& run, const std::vector<std::string>& studies, ErasureSummary* summary) {
  StageLock ingest;  // no ingest while bronze rows go (its deduplication reads them)
  DL_RETURN_IF_ERROR(
      ingest.Acquire(fs::Join(run.lake.FilesPath("bronze"), ".ingest.lock"), "ingest"));
  lake::DeltaTable meta = run.lake.OpenTable(lake::table::kImagingMetastore);
  if (!meta.Exists() || studies.empty()) return Status::Ok();
  std::vector<std::string> warnings;
  DL_RETURN_IF_ERROR(run.lake.RegisterViews(run.engine, &warnings));
  DL_ASSIGN_OR_RETURN(std::string instances, InstancesRelation(run.engine));
  std::string study_list;
  for (const auto& s : studies)
    study_list += (study_list.empty() ? "" : ", ") + lake::QuoteLiteral(s);
  lake::TempTables temps(run.engine);
  const std::string gone = temps.Add("__dl_erase_instances");
  const std::string versions = temps.Add("__dl_erase_versions");
  DL_RETURN_IF_ERROR(run.engine.Execute(
      "CREATE TEMP TABLE " + gone +
      " AS SELECT DISTINCT studyInstanceUid, seriesInstanceUid, sopInstanceUid, msftSourceSystem "
      "FROM silver.ImagingMetastore WHERE msftIsDeleted AND sopInstanceUid IS NOT NULL AND "
      "studyInstanceUid IN (" +
      study_list + ")"));
  DL_RETURN_IF_ERROR(run.engine.Execute(
      "CREATE TEMP TABLE " + versions +
      " AS SELECT i.sourceSystem, i.sopInstanceUid, i.contentHash, i.createdDatetime, "
      "i.filePath, i.archiveMember FROM " +
      instances + " i SEMI JOIN " + gone +
      " g ON g.msftSourceSystem = i.sourceSystem AND g.sopInstanceUid = i.sopInstanceUid WHERE "
      "i.operation IS NULL"));
  // Each stored original of those versions, and how many versions of other instances it holds.
  DL_ASSIGN_OR_RETURN(
      lake::QueryResult originals,
      run.engine.Query("SELECT v.filePath, (SELECT count(*) FROM " + instances +
                       " o WHERE o.operation IS NULL AND o.filePath = v.filePath AND NOT EXISTS "
                       "(SELECT 1 FROM " +
                       gone +
                       " g WHERE g.msftSourceSystem = o.sourceSystem AND g.sopInstanceUid = "
                       "o.sopInstanceUid)) FROM (SELECT DISTINCT filePath FROM " +
                       versions + " WHERE filePath IS NOT NULL) v ORDER BY 1"));
  const std::string process = fs::Join(run.lake.FilesPath("bronze"), "Process") + "/";
  auto keep = [&](const std::string& path, const std::string& why) {
    summary->originals_kept++;
    std::string line = path + ": " + why;
    if (summary->kept.size() < 100) summary->kept.push_back(line);
    run.AddEvent("Warning", path, "ImagingDicom", "not erased: " + why);
  };
  for (const auto& row : originals.rows) {
    const std::string stored = row[0].s;
    const std::string path = run.lake.ResolvePath(stored);
    if (row[1].i > 0) {
      keep(stored, "it also holds " + std::to_string(row[1].i) +
                       " version(s) of instances not deleted (a delivered archive)");
    } else if (path.rfind(process, 0) != 0) {
      keep(stored, "not the lake's copy (read in place from its source, BYOS or inventory)");
    } else {
      DL_RETURN_IF_ERROR(fs::RemoveFile(path));
      summary->originals_removed++;
    }
  }
  DL_ASSIGN_OR_RETURN(lake::QueryResult n, run.engine.Query("SELECT count(*) FROM " + versions));
  summary->instances_erased = n.rows.at(0).at(0).i;
  // The rows: bronze's instance versions, the purge records, the metastore rows.
  std::vector<std::string> key(std::begin(kRowKey), std::end(kRowKey));
  std::string key_list;
  for (const auto& k : key) key_list += (key_list.empty() ? "" : ", ") + lake::QuoteIdent(k);
  DL_RETURN_IF_ERROR(run.lake.OpenTable(lake::table::kImagingDicom)
                         .DeleteByKey(run.engine, key, "SELECT " + key_list + " FROM " + versions)
                         .status());
  lake::DeltaTable purged = run.lake.OpenTable(lake::table::kPurgedInstances);
  if (purged.Exists()) {
    DL_RETURN_IF_ERROR(
        purged.DeleteByKey(run.engine, key, "SELECT " + key_list + " FROM " + versions).status());
  }
  DL_RETURN_IF_ERROR(meta.DeleteByKey(run.engine,
                                      {"studyInstanceUid", "seriesInstanceUid", "sopInstanceUid",
                                       "msftSourceSystem"},
                                      "SELECT * FROM " + gone)
                         .status());
  ExecutionSummary& es = run.summary;
  es.source_lakehouse = es.target_lakehouse = "bronze";
  es.target_records = summary->instances_erased;
  es.attributes = {{"originalsRemoved", std::to_string(summary->originals_removed)},
                   {"originalsKept", std::to_string(summary->originals_kept)}};
  return Status::Ok();
}

// ---- The operations folder ----

// Moves `path` into `<zone>/Imaging/OPERATIONS/<namespace>/YYYY/MM/DD/`; returns the new path.
Result<std::string> MoveOperationsFile(StageRun& run, const std::string& path,
                                       const std::string& zone, const std::string& ns) {
  std::string dest = fs::Join(run.lake.FilesPath("bronze"),
                              zone + "/Imaging/OPERATIONS/" + ns + "/" +
                                  bronze::DatePath(run.started_us()) + "/" + FileName(path));
  dest = bronze::UniquePath(dest, run.run_id());
  DL_RETURN_IF_ERROR(bronze::MoveFile(path, dest));
  return dest;
}

// One operations file of namespace `ns`: recorded, or refused whole.
Result<int64_t> IngestOperationsFile(StageRun& run, lake::DeltaTable& bronze,
                                     const std::string& path, const std::string& ns,
                                     std::vector<std::pair<std::string, std::string>>* refused) {
  int64_t bytes = 0;
  DL_ASSIGN_OR_RETURN(std::string hash, Xxh3File(path, &bytes));
  std::vector<std::string> problems;
  std::vector<bronze::Operation> ops;
  constexpr int64_t kMaxBytes = 64 << 20;
  DL_ASSIGN_OR_RETURN(FileInfo info, fs::Stat(path));
  const std::string_view kExtension = ".ndjson";
  if (path.size() <= kExtension.size() ||
      path.compare(path.size() - kExtension.size(), kExtension.size(), kExtension) != 0) {
    problems.push_back("not an .ndjson file");
  } else if (bytes > kMaxBytes) {
    problems.push_back("larger than 64 MiB: split it");
  } else {
    DL_ASSIGN_OR_RETURN(std::string content, fs::ReadFile(path));
    size_t start = 0;
    int line_no = 0;
    while (start < content.size()) {
      size_t end = content.find('\n', start);
      if (end == std::string::npos) end = content.size();
      std::string line = content.substr(start, end - start);
      start = end + 1;
      ++line_no;
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      auto op = bronze::ParseOperationLine(line, ns, info.mtime_ms * 1000);
      if (!op.ok()) {
        problems.push_back("line " + std::to_string(line_no) + ": " + op.status().message());
      } else {
        ops.push_back(std::move(*op));
      }
    }
    if (ops.empty() && problems.empty()) problems.push_back("no operation in the file");
  }
  if (!problems.empty()) {
    DL_ASSIGN_OR_RETURN(std::string moved, MoveOperationsFile(run, path, "Failed", ns));
    std::string reasons;
    for (const auto& p : problems) reasons += (reasons.empty() ? "" : "; ") + p;
    refused->emplace_back(path, "operations file refused (moved to " + moved + "): " + reasons);
    for (const auto& p : problems) {
      BusinessEvent e;
      e.activity_name = kOperationFilesActivity;
      e.event_type = "stage:operations";
      e.source_file_path = path;
      e.target_file_path = moved;
      e.record_identifier = FileName(path);
      e.target_table_name = "ImagingDicom";
      e.message = p + " (nothing of the file was recorded)";
      run.AddEvent(std::move(e));
    }
    return int64_t{0};
  }
  // Recorded already (a run killed before the move, or the same file dropped again)?
  DL_ASSIGN_OR_RETURN(lake::Snapshot snap, bronze.Load(run.engine));
  DL_ASSIGN_OR_RETURN(std::string scan, bronze.ScanSql(snap));
  DL_ASSIGN_OR_RETURN(
      lake::QueryResult held,
      run.engine.Query("SELECT count(*) FROM (" + scan +
                       ") WHERE operation IS NOT NULL AND contentHash = " +
                       lake::QuoteLiteral(hash) + " AND sourceSystem = " + lake::QuoteLiteral(ns)));
  const bool recorded = held.rows.at(0).at(0).i > 0;
  std::string dest =
      bronze::UniquePath(fs::Join(run.lake.FilesPath("bronze"),
                                  "Process/Imaging/OPERATIONS/" + ns + "/" +
                                      bronze::DatePath(run.started_us()) + "/" + FileName(path)),
                         run.run_id());
  if (!recorded) {
    std::vector<lake::Row> rows;
    for (auto& op : ops) {
      op.source_file_path = run.lake.StoredPath(dest);
      op.source_hash = hash;
      rows.push_back(bronze::MakeOperationRow(op, run.run_id(), run.started_us()));
    }
    DL_RETURN_IF_ERROR(bronze.AppendRows(run.engine, rows).status());
    BusinessEvent e;
    e.activity_name = kOperationFilesActivity;
    e.event_type = "operation:file";
    e.severity = "Information";
    e.source_file_path = path;
    e.target_file_path = dest;
    e.record_identifier = FileName(path);
    e.target_table_name = "ImagingDicom";
    json details;
    details["who"] = "operations file " + FileName(path);
    details["reason"] = "dropped in the operations folder of namespace " + ns;
    details["operations"] = ops.size();
    e.message = std::to_string(ops.size()) + " operation(s) recorded from " + FileName(path);
    e.custom_dimensions = details.dump();
    run.AddEvent(std::move(e));
  }
  DL_RETURN_IF_ERROR(bronze::MoveFile(path, dest));
  return recorded ? int64_t{0} : static_cast<int64_t>(ops.size());
}

// The regular files under `dir`, at any depth.
Status ListFilesUnder(const std::string& dir, std::vector<std::string>* out) {
  DL_ASSIGN_OR_RETURN(auto entries, fs::ListDir(dir));
  for (const auto& e : entries) {
    if (e.name.empty() || e.name[0] == '.') continue;
    std::string path = fs::Join(dir, e.name);
    if (e.is_dir) {
      DL_RETURN_IF_ERROR(ListFilesUnder(path, out));
    } else if (e.is_regular) {
      out->push_back(path);
    }
  }
  return Status::Ok();
}

}  // namespace

std::string OperationSummary::ToJson() const {
  json j;
  j["runId"] = run_id;
  j["operation"] = operation;
  j["dryRun"] = dry_run;
  j["operationsRecorded"] = operations_recorded;
  j["instancesTargeted"] = instances_targeted;
  j["studiesTargeted"] = studies_targeted;
  j["studies"] = studies;
  j["elapsedSeconds"] = elapsed_seconds;
  return j.dump(2);
}

std::string ErasureSummary::ToJson() const {
  json j;
  j["runId"] = run_id;
  j["instancesErased"] = instances_erased;
  j["originalsRemoved"] = originals_removed;
  j["originalsKept"] = originals_kept;
  j["kept"] = kept;
  j["elapsedSeconds"] = elapsed_seconds;
  return j.dump(2);
}

Result<OperationSummary> RunOperation(const lake::Lake& lake, lake::Engine& engine,
                                      const config::Config& config,
                                      const OperationRequest& request) {
  static const StageSpec kSpec{"operations", kOperationsActivity, "bronze"};
  return RunStageFor<OperationSummary>(kSpec, lake, engine, config,
                                       [&request](StageRun& run, OperationSummary* summary) {
                                         return RecordOperation(run, request, summary);
                                       });
}

Result<ErasureSummary> EraseDeleted(const lake::Lake& lake, lake::Engine& engine,
                                    const config::Config& config,
                                    const std::vector<std::string>& studies) {
  static const StageSpec kSpec{"erase", kOperationsActivity, "bronze"};
  return RunStageFor<ErasureSummary>(
      kSpec, lake, engine, config,
      [&studies](StageRun& run, ErasureSummary* summary) { return Erase(run, studies, summary); });
}

Result<int64_t> IngestOperationFiles(StageRun& run,
                                     std::vector<std::pair<std::string, std::string>>* refused) {
  const std::string root = fs::Join(run.lake.FilesPath("bronze"), "Ingest/Imaging/OPERATIONS");
  if (!fs::IsDirectory(root)) return int64_t{0};
  DL_ASSIGN_OR_RETURN(auto namespaces, fs::ListDir(root));
  lake::DeltaTable bronze = run.lake.OpenTable(lake::table::kImagingDicom);
  int64_t recorded = 0;
  for (const auto& ns : namespaces) {
    if (!ns.is_dir || ns.name.empty() || ns.name[0] == '.') continue;
    std::vector<std::string> files;
    DL_RETURN_IF_ERROR(ListFilesUnder(fs::Join(root, ns.name), &files));
    for (const auto& f : files) {
      DL_ASSIGN_OR_RETURN(int64_t n, IngestOperationsFile(run, bronze, f, ns.name, refused));
      recorded += n;
    }
  }
  return recorded;
}

}  // namespace dicomlake::pipeline
