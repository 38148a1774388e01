#include "omop/gold_mapping.h"

#include <cctype>

#include "lake/changes.h"
#include "lake/delta_table.h"
#include "lake/engine.h"
#include "lake/lake.h"
#include "lake/temp_tables.h"
#include "omop/concept_maps.h"
#include "omop/gold_sql.h"
#include "omop/gold_tables.h"
#include "omop/id_mapping.h"

namespace dicomlake::omop {
namespace {

// Delta txn application ids: the silver versions gold consumed.
constexpr const char* kPatientApp = "dicomlake.gold<-silver.Patient";
constexpr const char* kStudyApp = "dicomlake.gold<-silver.ImagingStudy";
// OMOP type concept "EHR" (32817), used by the OHDSI imaging reference ETLs.
constexpr int kTypeConceptEhr = 32817;

// Empty relations with the columns the SQL reads, for inputs that have no rows.
constexpr const char* kNoPatients =
    "(SELECT NULL::VARCHAR AS id, NULL::VARCHAR AS gender, NULL::VARCHAR AS birthDate, "
    "NULL::TIMESTAMPTZ AS meta_lastUpdated LIMIT 0)";
constexpr const char* kNoMetastore =
    "(SELECT NULL::VARCHAR AS id, NULL::VARCHAR AS seriesInstanceUid, "
    "NULL::VARCHAR AS studyInstanceUid, NULL::VARCHAR AS metadata_string, "
    "NULL::VARCHAR AS filePath, NULL::TIMESTAMPTZ AS sourceModifiedAt, "
    "NULL::BOOLEAN AS msftIsDeleted LIMIT 0)";

// One update of gold: the engine, the temporary tables it owns, and the SQL variables.
class GoldUpdate {
 public:
  GoldUpdate(const lake::Lake& lake, lake::Engine& engine, const GoldOptions& options,
             const SkipRecorder& skip)
      : lake_(lake), engine_(engine), options_(options), skip_(skip), temps_(engine) {
    vars_["now"] = "make_timestamp(" + std::to_string(options.now_us) + "::BIGINT)";
    vars_["type_concept"] = std::to_string(kTypeConceptEhr);
    // Every table a step may create: dropped when this object goes, whatever happened.
    temps_.AddAll({"__gold_changed", "__gold_study", "__gold_meta", "__gold_person_src",
                   "__gold_person_ids", "__gold_person", "__gold_study_person",
                   "__gold_proc_concept", "__gold_procedure_src", "__gold_procedure_ids",
                   "__gold_procedure", "__gold_series", "__gold_image_ids", "__gold_image",
                   "__gold_modality_map", "__gold_body_part_map", "__athena_concept",
                   "__athena_relationship"});
  }

  Result<GoldCounts> Run();

 private:
  Status Execute(const std::string& file, const std::string& step) {
    DL_ASSIGN_OR_RETURN(std::string sql, GoldSql(file, step, vars_));
    return engine_.Execute(sql).WithContext("omop/sql/" + file + ".sql step " + step);
  }
  Result<lake::QueryResult> Query(const std::string& file, const std::string& step) {
    DL_ASSIGN_OR_RETURN(std::string sql, GoldSql(file, step, vars_));
    auto r = engine_.Query(sql);
    if (!r.ok()) return r.status().WithContext("omop/sql/" + file + ".sql step " + step);
    return r;
  }
  Result<int64_t> Count(const std::string& file, const std::string& step) {
    DL_ASSIGN_OR_RETURN(lake::QueryResult r, Query(file, step));
    return r.rows.at(0).at(0).i;
  }
  Status Skip(const std::string& file);
  Status AssignIds(const std::string& file, const std::string& resource_type,
                   const std::string& temp);
  Status StageMap(const std::string& temp, const std::map<std::string, int32_t>& map);
  // The silver input a gold table records as consumed (a Delta txn): `app` read up to
  // `version`, after `consumed` last time.
  struct Progress {
    const char* app;
    int64_t consumed, version;
  };
  Result<int64_t> Write(const lake::TableId& id, const lake::Schema& schema,
                        const std::string& staged, const std::string& key,
                        const Progress* progress = nullptr);
  Status StageInputs(bool* any_change);
  Status RemoveStale(const lake::TableId& id, const std::string& file, const std::string& key);
  Status MapPersons();
  Status MapProcedures(bool athena);
  Status MapImages();

  const lake::Lake& lake_;
  lake::Engine& engine_;
  const GoldOptions& options_;
  const SkipRecorder& skip_;
  lake::TempTables temps_;
  SqlVariables vars_;
  GoldCounts counts_;
  int64_t patient_version_ = -1, study_version_ = -1;    // the silver versions read now
  int64_t patient_consumed_ = -1, study_consumed_ = -1;  // the versions the last update read
  bool patients_changed_ = false;
};

// Records the rows of `file`'s `skipped` step: (record, reason).
Status GoldUpdate::Skip(const std::string& file) {
  DL_ASSIGN_OR_RETURN(lake::QueryResult r, Query(file, "skipped"));
  for (const auto& row : r.rows) {
    counts_.skipped++;
    if (skip_) skip_(file, row[0].is_null() ? "" : row[0].s, row[1].s);
  }
  return Status::Ok();
}

// Fills temp table `temp` (source_id, omop_id) for the source ids of `file`'s `ids` step.
Status GoldUpdate::AssignIds(const std::string& file, const std::string& resource_type,
                             const std::string& temp) {
  DL_ASSIGN_OR_RETURN(lake::QueryResult r, Query(file, "ids"));
  std::vector<std::string> ids;
  for (const auto& row : r.rows)
    if (!row[0].is_null()) ids.push_back(row[0].s);
  DL_ASSIGN_OR_RETURN(auto assigned,
                      omop::AssignIds(lake_, engine_, resource_type, ids, options_.now_us));
  lake::Schema schema;
  schema.fields = {lake::StringField("source_id"), lake::IntField("omop_id")};
  std::vector<lake::Row> rows;
  for (const auto& [source, id] : assigned)
    rows.push_back({lake::Value::String(source), lake::Value::Int(id)});
  return lake::CreateStagingTable(engine_, temp, schema, rows, false);
}

// A concept map as a temp table (value, concept_id).
Status GoldUpdate::StageMap(const std::string& temp, const std::map<std::string, int32_t>& map) {
  lake::Schema schema;
  schema.fields = {lake::StringField("value"), lake::IntField("concept_id")};
  std::vector<lake::Row> rows;
  for (const auto& [k, v] : map) rows.push_back({lake::Value::String(k), lake::Value::Int(v)});
  return lake::CreateStagingTable(engine_, temp, schema, rows, false);
}

Result<int64_t> GoldUpdate::Write(const lake::TableId& id, const lake::Schema& schema,
                                  const std::string& staged, const std::string& key,
                                  const Progress* progress) {
  lake::DeltaTable table = lake_.OpenTable(id);
  lake::ChangedUpsert upsert;
  upsert.staged = staged;
  upsert.key = key;
  upsert.ignore_column = "msftModifiedDatetime";
  upsert.description = std::string("dicomlake: OMOP CDM ") + id.name;
  // Recorded only when the input moved on: otherwise the commit would change nothing.
  if (progress != nullptr && progress->version > progress->consumed) {
    upsert.txn_app = progress->app;
    upsert.txn_version = progress->version;
  }
  return lake::UpsertWhereChanged(table, engine_, schema, upsert);
}

// The changed silver rows and the metastore facts of their studies, as temp tables.
Status GoldUpdate::StageInputs(bool* any_change) {
  lake::DeltaTable studies = lake_.OpenTable(lake::table::kImagingStudy);
  lake::DeltaTable patients = lake_.OpenTable(lake::table::kPatient);
  lake::DeltaTable person = lake_.OpenTable(lake::table::kPerson);
  lake::DeltaTable image = lake_.OpenTable(lake::table::kImageOccurrence);
  DL_RETURN_IF_ERROR(person.Create(engine_, PersonSchema(), "dicomlake: OMOP CDM person"));
  DL_RETURN_IF_ERROR(
      image.Create(engine_, ImageOccurrenceSchema(), "dicomlake: OMOP CDM image_occurrence"));
  DL_ASSIGN_OR_RETURN(lake::Snapshot person_snap, person.Load(engine_));
  DL_ASSIGN_OR_RETURN(lake::Snapshot image_snap, image.Load(engine_));
  auto consumed = [](const lake::Snapshot& s, const char* app) {
    auto it = s.txns.find(app);
    return it == s.txns.end() ? int64_t{-1} : it->second.version;
  };
  patient_consumed_ = consumed(person_snap, kPatientApp);
  study_consumed_ = consumed(image_snap, kStudyApp);
  DL_ASSIGN_OR_RETURN(std::string changed_patients,
                      lake::RowsChangedSince(patients, engine_, patient_consumed_, "id",
                                             "msftModifiedDatetime", &patient_version_));
  DL_ASSIGN_OR_RETURN(std::string changed_studies,
                      lake::RowsChangedSince(studies, engine_, study_consumed_, "id",
                                             "msftModifiedDatetime", &study_version_));
  // Without silver ImagingStudy there is nothing to map yet (persons come with their studies).
  *any_change = study_version_ >= 0 && !(changed_patients.empty() && changed_studies.empty());
  if (!*any_change) return Status::Ok();
  patients_changed_ = !changed_patients.empty();
  vars_["changed_patients"] = patients_changed_ ? changed_patients : kNoPatients;
  if (changed_studies.empty()) {  // only patients changed: no study rows, the right columns
    DL_ASSIGN_OR_RETURN(lake::Snapshot snap, studies.Load(engine_));
    DL_ASSIGN_OR_RETURN(std::string scan, studies.ScanSql(snap));
    changed_studies = "(SELECT * FROM (" + scan + ") WHERE false)";
  }
  vars_["changed_studies"] = changed_studies;
  vars_["metastore"] = kNoMetastore;
  lake::DeltaTable metastore = lake_.OpenTable(lake::table::kImagingMetastore);
  if (metastore.Exists()) {
    DL_ASSIGN_OR_RETURN(lake::Snapshot ms, metastore.Load(engine_));
    if (!ms.files.empty()) {
      DL_ASSIGN_OR_RETURN(std::string scan, metastore.ScanSql(ms));
      vars_["metastore"] = "(" + scan + ")";
    }
  }
  DL_RETURN_IF_ERROR(Execute("inputs", "changed"));
  DL_RETURN_IF_ERROR(Execute("inputs", "study"));
  DL_RETURN_IF_ERROR(Execute("inputs", "meta"));
  DL_ASSIGN_OR_RETURN(counts_.studies_read, Count("inputs", "count_studies"));
  return Status::Ok();
}

// Deletes the rows of `id` that `file`'s `stale` step names by `key`: rows of changed studies
// that the mapping no longer gives (every instance deleted, a series deleted, a study now left
// out), so that gold holds what silver holds.
Status GoldUpdate::RemoveStale(const lake::TableId& id, const std::string& file,
                               const std::string& key) {
  lake::DeltaTable table = lake_.OpenTable(id);
  if (!table.Exists()) return Status::Ok();
  DL_ASSIGN_OR_RETURN(lake::Snapshot snap, table.Load(engine_));
  if (snap.files.empty()) return Status::Ok();
  DL_ASSIGN_OR_RETURN(std::string scan, table.ScanSql(snap));
  vars_["gold_table"] = "(" + scan + ")";
  DL_ASSIGN_OR_RETURN(std::string stale, GoldSql(file, "stale", vars_));
  while (!stale.empty() &&
         (stale.back() == ';' || std::isspace(static_cast<unsigned char>(stale.back()))))
    stale.pop_back();  // a subquery below
  DL_ASSIGN_OR_RETURN(lake::QueryResult n, engine_.Query("SELECT count(*) FROM (" + stale + ")"));
  if (n.rows.at(0).at(0).i == 0) return Status::Ok();
  counts_.removed += n.rows.at(0).at(0).i;
  return table.DeleteByKey(engine_, {key}, stale).status();
}

Status GoldUpdate::MapPersons() {
  DL_RETURN_IF_ERROR(Execute("person", "source"));
  DL_RETURN_IF_ERROR(Skip("person"));
  DL_RETURN_IF_ERROR(AssignIds("person", "person", "__gold_person_ids"));
  DL_RETURN_IF_ERROR(Execute("person", "rows"));
  Progress progress{kPatientApp, patient_consumed_, patient_version_};
  DL_ASSIGN_OR_RETURN(counts_.persons, Write(lake::table::kPerson, PersonSchema(), "__gold_person",
                                             "person_id", &progress));
  if (patients_changed_) {
    DL_ASSIGN_OR_RETURN(counts_.patients_read, Count("person", "count_patients"));
  }
  return Status::Ok();
}

Status GoldUpdate::MapProcedures(bool athena) {
  lake::DeltaTable person = lake_.OpenTable(lake::table::kPerson);
  DL_ASSIGN_OR_RETURN(lake::Snapshot persons_now, person.Load(engine_));
  DL_ASSIGN_OR_RETURN(std::string persons_scan, person.ScanSql(persons_now));
  vars_["gold_person"] = "(" + persons_scan + ")";
  vars_["procedure_concept"] = "0";
  DL_RETURN_IF_ERROR(Execute("procedure_occurrence", "study_person"));
  if (athena) {
    DL_RETURN_IF_ERROR(Execute("procedure_occurrence", "athena_concepts"));
    vars_["procedure_concept"] =
        "coalesce((SELECT concept_id FROM __gold_proc_concept c WHERE c.id = s.id), 0)";
  }
  DL_RETURN_IF_ERROR(Execute("procedure_occurrence", "dated"));
  DL_RETURN_IF_ERROR(Skip("procedure_occurrence"));
  DL_RETURN_IF_ERROR(
      AssignIds("procedure_occurrence", "procedure_occurrence", "__gold_procedure_ids"));
  DL_RETURN_IF_ERROR(Execute("procedure_occurrence", "rows"));
  DL_ASSIGN_OR_RETURN(counts_.procedures,
                      Write(lake::table::kProcedureOccurrence, ProcedureOccurrenceSchema(),
                            "__gold_procedure", "procedure_occurrence_id"));
  return RemoveStale(lake::table::kProcedureOccurrence, "procedure_occurrence",
                     "procedure_occurrence_id");
}

Status GoldUpdate::MapImages() {
  std::string base = options_.dicomweb_base_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  vars_["wadors_uri"] = base.empty() ? "NULL::VARCHAR"
                                     : lake::QuoteLiteral(base + "/studies/") +
                                           " || g.study_uid || '/series/' || g.series_uid";
  DL_RETURN_IF_ERROR(Execute("image_occurrence", "source"));
  DL_RETURN_IF_ERROR(Skip("image_occurrence"));
  DL_RETURN_IF_ERROR(AssignIds("image_occurrence", "image_occurrence", "__gold_image_ids"));
  DL_RETURN_IF_ERROR(Execute("image_occurrence", "rows"));
  // Before the write that records the progress: a replay deletes the same rows again.
  DL_RETURN_IF_ERROR(
      RemoveStale(lake::table::kImageOccurrence, "image_occurrence", "image_occurrence_id"));
  Progress progress{kStudyApp, study_consumed_, study_version_};
  DL_ASSIGN_OR_RETURN(counts_.images, Write(lake::table::kImageOccurrence, ImageOccurrenceSchema(),
                                            "__gold_image", "image_occurrence_id", &progress));
  return Status::Ok();
}

Result<GoldCounts> GoldUpdate::Run() {
  bool any_change = false;
  DL_RETURN_IF_ERROR(StageInputs(&any_change));
  if (!any_change) return counts_;
  DL_ASSIGN_OR_RETURN(ConceptMaps maps, LoadConceptMaps(engine_, options_.athena_vocabulary_path));
  counts_.athena_overrides = maps.athena_overrides;
  DL_RETURN_IF_ERROR(StageMap("__gold_modality_map", maps.modality));
  DL_RETURN_IF_ERROR(StageMap("__gold_body_part_map", maps.body_part));
  DL_RETURN_IF_ERROR(MapPersons());
  DL_RETURN_IF_ERROR(MapProcedures(maps.athena));
  DL_RETURN_IF_ERROR(MapImages());
  return counts_;
}

}  // namespace

Result<GoldCounts> UpdateGold(const lake::Lake& lake, lake::Engine& engine,
                              const GoldOptions& options, const SkipRecorder& skip) {
  GoldUpdate update(lake, engine, options, skip);
  return update.Run();
}

}  // namespace dicomlake::omop
