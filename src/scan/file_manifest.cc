#include "scan/file_manifest.h"

#include "lake/delta_table.h"
#include "lake/engine.h"
#include "lake/lake.h"

namespace dicomlake::scan {

Result<int64_t> KnownFiles::Load(const lake::DeltaTable& manifest, const std::string& pattern) {
  DL_ASSIGN_OR_RETURN(lake::Snapshot snapshot, manifest.Load(engine_));
  DL_ASSIGN_OR_RETURN(std::string scan, manifest.ScanSql(snapshot));
  table_ = temps_.Add("__dl_known_files_" + pattern);
  DL_RETURN_IF_ERROR(engine_.Execute(
      "CREATE OR REPLACE TEMP TABLE " + lake::QuoteIdent(table_) +
      " AS SELECT path, size, epoch_us(modifiedAt) AS modified_us FROM (" + scan +
      ") WHERE pattern = " + lake::QuoteLiteral(pattern) +
      " QUALIFY row_number() OVER (PARTITION BY path ORDER BY updatedDatetime DESC) = 1"));
  DL_ASSIGN_OR_RETURN(lake::QueryResult r,
                      engine_.Query("SELECT count(*) FROM " + lake::QuoteIdent(table_)));
  return r.rows.at(0).at(0).i;
}

Result<std::set<std::string>> KnownFiles::Unchanged(const std::vector<SourceFile>& files) const {
  std::set<std::string> out;
  if (table_.empty() || files.empty()) return out;
  std::string values;
  for (const auto& f : files) {
    values += values.empty() ? "(" : ",(";
    values += lake::QuoteLiteral(lake_.StoredPath(f.source_path)) + "," + std::to_string(f.size) +
              "," + std::to_string(f.mtime_ms * 1000) + ")";
  }
  DL_ASSIGN_OR_RETURN(
      lake::QueryResult r,
      engine_.Query("SELECT v.path FROM (VALUES " + values + ") v(path, size, modified_us) JOIN " +
                    lake::QuoteIdent(table_) +
                    " m ON m.path = v.path AND m.size = v.size AND m.modified_us = "
                    "v.modified_us"));
  for (const auto& row : r.rows) out.insert(lake_.ResolvePath(row[0].s));
  return out;
}

Result<std::map<std::string, std::pair<int64_t, int64_t>>> ReadKnownFiles(
    const lake::Lake& lake, lake::Engine& engine, const std::string& pattern) {
  lake::DeltaTable manifest = lake.OpenTable(lake::table::kFileManifest);
  std::map<std::string, std::pair<int64_t, int64_t>> out;
  DL_ASSIGN_OR_RETURN(lake::Snapshot snap, manifest.Load(engine));
  if (snap.files.empty()) return out;
  DL_ASSIGN_OR_RETURN(std::string scan, manifest.ScanSql(snap));
  DL_ASSIGN_OR_RETURN(lake::QueryResult r,
                      engine.Query("SELECT path, size, epoch_us(modifiedAt) FROM (" + scan +
                                   ") WHERE pattern = " + lake::QuoteLiteral(pattern)));
  for (const auto& row : r.rows) out[lake.ResolvePath(row[0].s)] = {row[1].i, row[2].i};
  return out;
}

}  // namespace dicomlake::scan
