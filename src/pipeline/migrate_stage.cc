#include "pipeline/migrate_stage.h"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

#include "bronze/imaging_dicom.h"
#include "common/fs.h"
#include "config/config.h"
#include "lake/delta_table.h"
#include "lake/engine.h"
#include "lake/lake.h"
#include "pipeline/admin_tables.h"
#include "pipeline/stage_runner.h"

namespace dicomlake::pipeline {

std::string MigrateSummary::ToJson() const {
  nlohmann::ordered_json j;
  j["runId"] = run_id;
  j["dryRun"] = dry_run;
  j["formerRoots"] = former_roots;
  j["tables"] = nlohmann::ordered_json::array();
  for (const auto& t : tables)
    j["tables"].push_back({{"table", t.table}, {"rows", t.rows}, {"version", t.version}});
  j["elapsedSeconds"] = elapsed_seconds;
  return j.dump(2);
}

namespace {

// The columns of each table that hold paths (plain) or DICOM JSON with BulkDataURIs (json).
struct PathColumns {
  lake::TableId table;
  std::vector<const char*> paths;
  std::vector<const char*> json;
};

const std::vector<PathColumns>& TablesWithPaths() {
  static const std::vector<PathColumns> kTables{
      {lake::table::kImagingDicom,
       {"filePath", "sourceFilePath", "inventoryFilePath"},
       {"metadata_string"}},
      {lake::table::kImagingMetastore, {"filePath"}, {"metadata_string"}},
      {lake::table::kImagingStudy, {"msftFilePath"}, {}},
      {lake::table::kPatient, {"msftFilePath"}, {}},
      {lake::table::kClinicalFhir, {"filePath"}, {}},
      {lake::table::kFileManifest, {"path"}, {}},
      {lake::table::kImageOccurrence, {"local_path"}, {}},
  };
  return kTables;
}

// Where each path column shows a former root: the folder before one only this lake writes to.
constexpr const char* kRootPattern =
    "'^(/.*?)/bronze/Files/(Process|Ingest)/(Imaging/DICOM|Clinical/FHIR-NDJSON)/'";

// The former roots the table's paths show.
Status FindRoots(lake::Engine& engine, const PathColumns& t, const std::string& scan,
                 std::set<std::string>* roots) {
  for (const char* column : t.paths) {
    DL_ASSIGN_OR_RETURN(
        lake::QueryResult r,
        engine.Query(fmt::format("SELECT DISTINCT regexp_extract({0}, {1}, 1) FROM {2} WHERE {0} "
                                 "LIKE '/%'",
                                 lake::QuoteIdent(column), kRootPattern, scan)));
    for (const auto& row : r.rows)
      if (!row[0].is_null() && !row[0].s.empty()) roots->insert(row[0].s);
  }
  return Status::Ok();
}

// The text `s` as it appears inside a JSON string.
std::string JsonEscaped(const std::string& s) {
  std::string quoted = nlohmann::json(s).dump();
  return quoted.substr(1, quoted.size() - 2);
}

// SQL that rewrites a path column: a path under one of `roots` (longest first) made relative.
std::string RelativeSql(const std::string& column, const std::vector<std::string>& roots) {
  std::string c = lake::QuoteIdent(column), s = "CASE";
  for (const auto& root : roots) {
    std::string prefix = lake::QuoteLiteral(root + "/");
    s += fmt::format(" WHEN starts_with({0}, {1}) THEN substr({0}, length({1}) + 1)", c, prefix);
  }
  return s + " ELSE " + c + " END";
}

// SQL that rewrites the BulkDataURIs of a DICOM JSON column: file://<root>/x -> x.
std::string RelativeUrisSql(const std::string& column, const std::vector<std::string>& roots) {
  std::string s = lake::QuoteIdent(column);
  for (const auto& root : roots) {
    s = fmt::format("replace({}, {}, '\"BulkDataURI\":\"')", s,
                    lake::QuoteLiteral("\"BulkDataURI\":\"file://" + JsonEscaped(root) + "/"));
  }
  return s;
}

// The condition "this row holds a path to rewrite".
std::string NeedsRewriteSql(const PathColumns& t, const std::vector<std::string>& roots) {
  std::vector<std::string> terms;
  for (const auto& root : roots) {
    for (const char* column : t.paths)
      terms.push_back(fmt::format("starts_with({}, {})", lake::QuoteIdent(column),
                                  lake::QuoteLiteral(root + "/")));
    for (const char* column : t.json)
      terms.push_back(
          fmt::format("contains({}, {})", lake::QuoteIdent(column),
                      lake::QuoteLiteral("\"BulkDataURI\":\"file://" + JsonEscaped(root) + "/")));
  }
  std::string out;
  for (const auto& term : terms) out += (out.empty() ? "" : " OR ") + term;
  return out.empty() ? "false" : "coalesce(" + out + ", false)";
}

Status Migrate(StageRun& run, const MigrateRequest& request, MigrateSummary* summary) {
  summary->dry_run = request.dry_run;
  struct Found {
    const PathColumns* columns;
    lake::DeltaTable table;
  };
  std::vector<Found> found;
  std::set<std::string> roots{run.lake.root()};
  for (const auto& r : request.former_roots) roots.insert(fs::Absolute(r));
  for (const auto& t : TablesWithPaths()) {
    lake::DeltaTable table = run.lake.OpenTable(t.table);
    if (!table.Exists()) continue;
    DL_ASSIGN_OR_RETURN(lake::Snapshot snapshot, table.Load(run.engine));
    if (snapshot.files.empty()) continue;
    DL_ASSIGN_OR_RETURN(std::string scan, table.ScanSql(snapshot));
    DL_RETURN_IF_ERROR(FindRoots(run.engine, t, "(" + scan + ")", &roots)
                           .WithContext(t.table.display() + ": finding former roots"));
    found.push_back({&t, std::move(table)});
  }
  // Longest first, so that a lake inside a former lake's folder is matched by its own root.
  std::vector<std::string> ordered(roots.begin(), roots.end());
  std::sort(ordered.begin(), ordered.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  for (auto& [columns, table] : found) {
    DL_ASSIGN_OR_RETURN(lake::Snapshot snapshot, table.Load(run.engine));
    DL_ASSIGN_OR_RETURN(std::string scan, table.ScanSql(snapshot));
    const std::string needs = NeedsRewriteSql(*columns, ordered);
    DL_ASSIGN_OR_RETURN(lake::QueryResult count,
                        run.engine.Query("SELECT count(*) FROM (" + scan + ") WHERE " + needs));
    const int64_t rows = count.rows.at(0).at(0).i;
    if (rows == 0) continue;
    MigratedTable m{columns->table.display(), rows, -1};
    if (!request.dry_run) {
      std::string replace;
      for (const char* c : columns->paths)
        replace +=
            (replace.empty() ? "" : ", ") + RelativeSql(c, ordered) + " AS " + lake::QuoteIdent(c);
      for (const char* c : columns->json)
        replace += (replace.empty() ? "" : ", ") + RelativeUrisSql(c, ordered) + " AS " +
                   lake::QuoteIdent(c);
      DL_ASSIGN_OR_RETURN(lake::CommitOutcome outcome, table.Rewrite(
                                                           run.engine,
                                                           [&](const std::string& rel) {
                                                             return "SELECT * REPLACE (" + replace +
                                                                    ") FROM " + rel;
                                                           },
                                                           "MIGRATE (lake-relative paths)"));
      m.version = outcome.version;
      BusinessEvent e;
      e.severity = "Information";
      e.target_table_name = columns->table.name;
      e.message =
          fmt::format("{} rows: paths under the lake made relative to its root (version {})", rows,
                      outcome.version);
      run.AddEvent(std::move(e));
    }
    summary->tables.push_back(std::move(m));
  }
  // Columns a newer dicomlake added to bronze (datasetHash, ...): added now (a Delta ADD
  // COLUMNS commit) rather than by the next ingest, so a migrated lake is current.
  lake::DeltaTable bronze = run.lake.OpenTable(lake::table::kImagingDicom);
  if (!request.dry_run && bronze.Exists()) {
    DL_RETURN_IF_ERROR(
        bronze.Create(run.engine, bronze::ImagingDicomSchema(), bronze::kImagingDicomDescription));
  }
  for (const auto& root : ordered) summary->former_roots.push_back(root);
  ExecutionSummary& es = run.summary;
  es.source_path = run.lake.root();
  int64_t total = 0;
  for (const auto& t : summary->tables) total += t.rows;
  es.target_records = total;
  es.attributes = {{"formerRoots", nlohmann::json(summary->former_roots).dump()},
                   {"tablesRewritten", std::to_string(summary->tables.size())},
                   {"dryRun", request.dry_run ? "true" : "false"}};
  return Status::Ok();
}

}  // namespace

Result<MigrateSummary> RunMigrate(const lake::Lake& lake, lake::Engine& engine,
                                  const config::Config& config, const MigrateRequest& request) {
  static const StageSpec kMigrate{"migrate", kMigrateActivity, "admin"};
  return RunStageFor<MigrateSummary>(kMigrate, lake, engine, config,
                                     [&request](StageRun& run, MigrateSummary* summary) {
                                       return Migrate(run, request, summary);
                                     });
}

}  // namespace dicomlake::pipeline
