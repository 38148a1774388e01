#include "pipeline/cohort.h"

#include <fmt/format.h>

#include <cctype>
#include <map>
#include <set>

#include "common/fs.h"
#include "pipeline/frame_access.h"
#include "scan/archive.h"

namespace dicomlake::pipeline {
namespace {

std::string Text(const lake::Value& v) { return v.is_null() ? "" : v.ToDisplay(); }

std::string ValuesList(const std::vector<std::string>& values) {
  std::string out;
  for (const auto& v : values)
    out += (out.empty() ? "" : ", ") + ("(" + lake::QuoteLiteral(v) + ")");
  return out;
}

}  // namespace

Result<SelectionKind> SelectionKindOf(const std::string& column_name) {
  std::string n;
  for (char c : column_name)
    n.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  if (n.find("series") != std::string::npos) return SelectionKind::kSeries;
  if (n.find("study") != std::string::npos) return SelectionKind::kStudy;
  if (n == "patientid" || n == "patient_id" || n == "patient") return SelectionKind::kPatient;
  return InvalidArgument(
      "the cohort query's first column \"" + column_name +
      "\" must hold Series Instance UIDs (a name with \"series\" in it, e.g. image_series_uid), "
      "Study Instance UIDs (\"study\") or Patient IDs (\"patientId\")");
}

Result<std::vector<CohortSeries>> SelectCohort(const lake::Lake& lake, lake::Engine& engine,
                                               const CohortRequest& request) {
  std::vector<std::string> conditions;
  auto add = [&](const char* column, const std::vector<std::string>& values) {
    if (values.empty()) return;
    conditions.push_back(
        fmt::format("{} IN (SELECT v FROM (VALUES {}) t(v))", column, ValuesList(values)));
  };
  add("seriesInstanceUid", request.series);
  add("studyInstanceUid", request.studies);
  add("patientId", request.patients);
  if (!request.sql.empty()) {
    std::string sql = request.sql;
    while (!sql.empty() &&
           (sql.back() == ';' || std::isspace(static_cast<unsigned char>(sql.back()))))
      sql.pop_back();
    Status st = engine.Execute("CREATE OR REPLACE TEMP TABLE cohort_selection AS " + sql);
    if (!st.ok()) return InvalidQuery("the cohort query failed: " + st.message());
    DL_ASSIGN_OR_RETURN(lake::QueryResult columns,
                        engine.Query("SELECT * FROM cohort_selection LIMIT 0"));
    if (columns.column_names.empty()) return InvalidArgument("the cohort query returns no column");
    DL_ASSIGN_OR_RETURN(SelectionKind kind, SelectionKindOf(columns.column_names[0]));
    const char* column = kind == SelectionKind::kSeries  ? "seriesInstanceUid"
                         : kind == SelectionKind::kStudy ? "studyInstanceUid"
                                                         : "patientId";
    conditions.push_back(fmt::format("{} IN (SELECT CAST({} AS VARCHAR) FROM cohort_selection)",
                                     column, lake::QuoteIdent(columns.column_names[0])));
  }
  if (conditions.empty()) {
    return InvalidArgument("no cohort: give --sql, --study, --series or --patient");
  }
  if (Status st = RequireBronze(engine); !st.ok()) return NotFound("no series: " + st.message());
  std::string where;
  for (const auto& c : conditions) where += (where.empty() ? "" : " OR ") + c;
  DL_ASSIGN_OR_RETURN(std::string instances, InstancesRelation(engine));
  if (!request.include_deleted) {
    DL_ASSIGN_OR_RETURN(lake::QueryResult has_metastore,
                        engine.Query("SELECT count(*) FROM information_schema.tables WHERE "
                                     "table_schema = 'silver' AND table_name = "
                                     "'ImagingMetastore'"));
    if (has_metastore.rows.at(0).at(0).i > 0) {
      where = "(" + where +
              ") AND NOT EXISTS (SELECT 1 FROM silver.ImagingMetastore m WHERE m.msftIsDeleted "
              "AND m.sopInstanceUid = i.sopInstanceUid AND m.msftSourceSystem = i.sourceSystem)";
    }
  }
  DL_ASSIGN_OR_RETURN(
      lake::QueryResult r,
      engine.Query(fmt::format(
          "SELECT seriesInstanceUid, studyInstanceUid, patientId, modality, seriesDescription, "
          "sopInstanceUid, filePath, archiveMember, sourceFilePath, contentHash, fileSize, "
          "sourceSystem "
          "FROM (SELECT *, row_number() OVER (PARTITION "
          "BY sopInstanceUid ORDER BY createdDatetime DESC) AS latest FROM {} i "
          "WHERE operation IS NULL AND seriesInstanceUid IS NOT NULL AND ({})) WHERE latest = 1 "
          "ORDER BY patientId, studyInstanceUid, seriesInstanceUid, instanceNumber, "
          "sopInstanceUid",
          instances, where)));
  std::vector<CohortSeries> out;
  for (const auto& row : r.rows) {
    std::string series = Text(row[0]);
    if (out.empty() || out.back().series_instance_uid != series) {
      CohortSeries s;
      s.series_instance_uid = series;
      s.study_instance_uid = Text(row[1]);
      s.patient_id = Text(row[2]);
      s.modality = Text(row[3]);
      s.description = Text(row[4]);
      out.push_back(std::move(s));
    }
    CohortInstance in;
    in.sop_instance_uid = Text(row[5]);
    in.file_path = lake.ResolvePath(Text(row[6]));
    in.archive_member = Text(row[7]);
    in.source_file_path = Text(row[8]);
    in.content_hash = Text(row[9]);
    in.file_size = row[10].is_null() ? -1 : row[10].i;
    in.namespace_name = Text(row[11]);
    out.back().instances.push_back(std::move(in));
  }
  return out;
}

std::vector<std::string> MaterialiseOriginals(const CohortSeries& s, const std::string& scratch,
                                              std::vector<FileFailure>* failures) {
  const size_t n = s.instances.size();
  std::vector<std::string> paths(n);
  std::map<std::string, std::vector<size_t>> by_archive;
  for (size_t i = 0; i < n; ++i) {
    const CohortInstance& in = s.instances[i];
    if (!in.archive_member.empty()) {
      by_archive[in.file_path].push_back(i);
    } else if (fs::Exists(in.file_path)) {
      paths[i] = in.file_path;
    } else {
      failures->push_back({in.file_path, "", "the stored original is missing"});
    }
  }
  int k = 0;
  for (const auto& [archive, indexes] : by_archive) {
    std::set<std::string> wanted;
    for (size_t i : indexes) wanted.insert(s.instances[i].archive_member);
    auto extracted = scan::ExtractMembers(archive, wanted, fs::Join(scratch, std::to_string(k++)));
    for (size_t i : indexes) {
      const CohortInstance& in = s.instances[i];
      if (!extracted.ok()) {
        failures->push_back(
            {archive, in.archive_member,
             "the stored original cannot be read: " + extracted.status().message()});
      } else if (auto it = extracted->find(in.archive_member); it != extracted->end()) {
        paths[i] = it->second;
      } else {
        failures->push_back({archive, in.archive_member, "the member is not in the archive"});
      }
    }
  }
  return paths;
}

}  // namespace dicomlake::pipeline
