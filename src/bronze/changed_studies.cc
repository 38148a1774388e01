#include "bronze/changed_studies.h"

#include "bronze/imaging_dicom.h"
#include "bronze/operations.h"
#include "lake/changes.h"
#include "lake/delta_table.h"
#include "lake/engine.h"

namespace dicomlake::bronze {
namespace {

constexpr const char* kKeys = "__dl_fhir_keys";
constexpr const char* kRows = "__dl_fhir_rows";

}  // namespace

Status ChangedStudies::Stage(const lake::DeltaTable& bronze, const lake::Snapshot& snapshot,
                             const std::vector<std::string>& added_files,
                             const std::string& only_namespace, const std::string& purged) {
  temps_.AddAll({kKeys, kRows});
  studies_ = instances_ = 0;
  if (added_files.empty()) return Status::Ok();
  std::string ns_filter =
      only_namespace.empty() ? "" : " WHERE sourceSystem = " + lake::QuoteLiteral(only_namespace);
  DL_ASSIGN_OR_RETURN(std::string scan, bronze.ScanSql(snapshot));
  std::string gkey = kStudyGroupKeySql;
  DL_RETURN_IF_ERROR(engine_.Execute(
      "CREATE OR REPLACE TEMP TABLE " + std::string(kKeys) + " AS SELECT DISTINCT sourceSystem, " +
      gkey + " AS gkey FROM " + lake::ParquetScan(added_files) + ns_filter));
  // The newest version of each instance of those studies (operation rows are not instances),
  // numbered by study so that rounds can take a range of studies. Instances purged from bronze
  // come from `purged` when bronze holds no version of them.
  std::string instances =
      "SELECT sourceSystem, " + gkey +
      " AS gkey, nullif(trim(studyInstanceUid), '') AS study_uid, seriesInstanceUid, "
      "sopInstanceUid, sourceModifiedAt, createdDatetime, filePath, metadata_string FROM (" +
      scan + ") WHERE operation IS NULL QUALIFY row_number() OVER (PARTITION BY sourceSystem, " +
      gkey +
      ", coalesce(sopInstanceUid, contentHash) ORDER BY sourceModifiedAt DESC NULLS LAST, "
      "createdDatetime DESC, contentHash DESC) = 1";
  if (!purged.empty()) {
    instances = "WITH bronze_rows AS (" + instances +
                ") SELECT * FROM bronze_rows UNION ALL SELECT p.sourceSystem, "
                "nullif(trim(p.studyInstanceUid), '') AS gkey, nullif(trim(p.studyInstanceUid), "
                "'') AS study_uid, p.seriesInstanceUid, p.sopInstanceUid, p.sourceModifiedAt, "
                "p.createdDatetime, p.filePath, p.metadata_string FROM " +
                purged +
                " p WHERE NOT EXISTS (SELECT 1 FROM bronze_rows r WHERE r.sourceSystem = "
                "p.sourceSystem AND r.sopInstanceUid = p.sopInstanceUid)";
  }
  // The operations that apply to each instance (bronze/operations.h): deleted or not, when the
  // newest was recorded, and the patches in the order they apply. `numbered` is materialised:
  // read twice, its row numbers must be the same both times.
  std::string applies =
      OperationAppliesSql("o", "n.sourceSystem", "n.study_uid", "n.seriesInstanceUid",
                          "n.sopInstanceUid", "n.sourceModifiedAt");
  Status st = engine_.Execute(
      "CREATE OR REPLACE TEMP TABLE " + std::string(kRows) +
      " AS WITH numbered AS MATERIALIZED (SELECT dense_rank() OVER (ORDER BY b.sourceSystem, "
      "b.gkey) - 1 AS "
      "study_no, row_number() OVER () AS rn, b.* FROM (" +
      instances + ") b SEMI JOIN " + kKeys +
      " k ON b.sourceSystem = k.sourceSystem AND b.gkey = k.gkey), ops AS (SELECT sourceSystem, "
      "studyInstanceUid, seriesInstanceUid, sopInstanceUid, operation, sourceModifiedAt, "
      "createdDatetime, metadata_string FROM (" +
      scan + ") WHERE operation IS NOT NULL), applied AS (SELECT n.rn, bool_or(o.operation = " +
      lake::QuoteLiteral(kSoftDelete) +
      ") AS deleted, max(o.createdDatetime) AS operated, list(o.metadata_string ORDER BY "
      "o.sourceModifiedAt, o.createdDatetime) FILTER (WHERE o.operation = " +
      lake::QuoteLiteral(kPatch) + ") AS patches FROM numbered n JOIN ops o ON " + applies +
      " GROUP BY n.rn) SELECT n.* EXCLUDE (rn, seriesInstanceUid, sopInstanceUid), "
      "coalesce(a.deleted, false) AS deleted, a.operated, a.patches FROM numbered n LEFT JOIN "
      "applied a USING (rn)");
  DL_RETURN_IF_ERROR(st.WithContext("bronze/ImagingDicom: reading the affected studies"));
  DL_ASSIGN_OR_RETURN(
      lake::QueryResult count,
      engine_.Query("SELECT count(DISTINCT study_no), count(*) FROM " + std::string(kRows)));
  studies_ = count.rows[0][0].i;
  instances_ = count.rows[0][1].i;
  return Status::Ok();
}

Result<std::vector<StudyInstance>> ChangedStudies::Read(int64_t first, int64_t count) const {
  DL_ASSIGN_OR_RETURN(
      lake::QueryResult rows,
      engine_.Query("SELECT study_no, sourceSystem, gkey, study_uid, sourceModifiedAt, "
                    "createdDatetime, filePath, metadata_string, deleted, operated, patches "
                    "FROM " +
                    std::string(kRows) + " WHERE study_no >= " + std::to_string(first) +
                    " AND study_no < " + std::to_string(first + count) + " ORDER BY study_no"));
  std::vector<StudyInstance> out;
  out.reserve(rows.rows.size());
  for (auto& r : rows.rows) {
    StudyInstance i;
    i.study_no = r[0].i;
    i.namespace_name = r[1].s;
    i.group_key = r[2].s;
    i.study_uid = r[3].is_null() ? "" : r[3].s;
    i.source_modified_us = r[4].is_null() ? 0 : r[4].i;
    i.created_us = r[5].is_null() ? 0 : r[5].i;
    i.file_path = r[6].s;
    i.metadata_json = std::move(r[7].s);
    i.deleted = r[8].b;
    i.operated_us = r[9].is_null() ? 0 : r[9].i;
    if (!r[10].is_null() && !r[10].items.empty()) {
      std::vector<std::string> patches;
      for (auto& p : r[10].items) patches.push_back(std::move(p.s));
      auto patched = ApplyTagPatches(i.metadata_json, patches);
      if (!patched.ok()) {
        return patched.status().WithContext("instance of study " + i.study_uid + " in " +
                                            i.file_path);
      }
      i.metadata_json = std::move(*patched);
    }
    out.push_back(std::move(i));
  }
  return out;
}

}  // namespace dicomlake::bronze
