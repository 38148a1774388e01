#include "silver/patient_link.h"

#include "lake/delta_table.h"
#include "lake/engine.h"
#include "lake/lake.h"
#include "lake/schema.h"
#include "lake/temp_tables.h"

namespace dicomlake::silver {

namespace {

// `keys` as temp table `name` (system, value).
Status StageKeys(lake::Engine& engine, const std::string& name,
                 const std::vector<IdentifierKey>& keys) {
  lake::Schema key_schema;
  key_schema.fields = {lake::StringField("system"), lake::StringField("value")};
  std::vector<lake::Row> rows;
  for (const auto& [system, value] : keys)
    rows.push_back({lake::Value::String(system), lake::Value::String(value)});
  return lake::CreateStagingTable(engine, name, key_schema, rows, false);
}

}  // namespace

Result<std::vector<lake::Row>> FindUnlinkedStudies(const lake::Lake& lake, lake::Engine& engine,
                                                   const std::vector<IdentifierKey>& keys) {
  lake::DeltaTable studies = lake.OpenTable(lake::table::kImagingStudy);
  if (keys.empty() || !studies.Exists()) return std::vector<lake::Row>{};
  DL_ASSIGN_OR_RETURN(lake::Snapshot snap, studies.Load(engine));
  if (snap.files.empty()) return std::vector<lake::Row>{};
  DL_ASSIGN_OR_RETURN(std::string scan, studies.ScanSql(snap));
  lake::TempTables temps(engine);
  DL_RETURN_IF_ERROR(StageKeys(engine, temps.Add("__dl_new_patients"), keys));
  DL_ASSIGN_OR_RETURN(
      lake::QueryResult r,
      engine.Query("SELECT s.* FROM (" + scan +
                   ") s WHERE s.subject.id IS NULL AND EXISTS (SELECT 1 FROM __dl_new_patients k "
                   "WHERE k.system = s.subject.identifier.system AND k.value = "
                   "s.subject.identifier.value)"));
  return std::move(r.rows);
}

Result<std::map<IdentifierKey, PatientRef>> FindPatients(const lake::Lake& lake,
                                                         lake::Engine& engine,
                                                         const std::vector<IdentifierKey>& keys) {
  std::map<IdentifierKey, PatientRef> out;
  lake::DeltaTable patients = lake.OpenTable(lake::table::kPatient);
  if (keys.empty() || !patients.Exists()) return out;
  DL_ASSIGN_OR_RETURN(lake::Snapshot snap, patients.Load(engine));
  if (snap.files.empty()) return out;
  DL_ASSIGN_OR_RETURN(std::string scan, patients.ScanSql(snap));
  lake::TempTables temps(engine);
  const std::string staged = temps.Add("__dl_patient_keys");
  DL_RETURN_IF_ERROR(StageKeys(engine, staged, keys));
  auto result = engine.Query(
      "WITH ids AS (SELECT id, idOrig, unnest(identifier) AS i FROM (" + scan +
      ")) SELECT k.system, k.value, min(ids.id), arg_min(ids.idOrig, ids.id) FROM " + staged +
      " k JOIN ids ON ids.i.system = k.system AND ids.i.value = k.value GROUP BY k.system, "
      "k.value");
  if (!result.ok()) return result.status().WithContext("silver/Patient: finding patients");
  for (const auto& r : result->rows) {
    if (r[2].is_null()) continue;
    out[{r[0].s, r[1].s}] = PatientRef{r[2].s, r[3].is_null() ? "" : r[3].s};
  }
  return out;
}

}  // namespace dicomlake::silver
