#include "pipeline/gold_stage.h"

#include <chrono>
#include <nlohmann/json.hpp>

#include "common/fs.h"
#include "common/time_util.h"
#include "common/uuid.h"
#include "config/config.h"
#include "lake/delta_table.h"
#include "lake/engine.h"
#include "lake/lake.h"
#include "omop/concept_maps.h"
#include "omop/gold_tables.h"
#include "omop/id_mapping.h"
#include "pipeline/admin_tables.h"
#include "pipeline/stage_runner.h"
#include "pipeline/stage_support.h"

namespace dicomlake::pipeline {
namespace {

using lake::QuoteLiteral;

constexpr const char* kPatientApp = "dicomlake.gold<-silver.Patient";
constexpr const char* kStudyApp = "dicomlake.gold<-silver.ImagingStudy";
// OMOP type concept "EHR" (32817), used by the OHDSI imaging reference ETLs.
constexpr int kTypeConceptEhr = 32817;

struct Context {
  const lake::Lake& lake;
  lake::Engine& engine;
  const config::Config& config;
  GoldSummary* summary;
  int64_t now_us;
  StageRun& run;
};

std::string Now(const Context& ctx) {
  return "make_timestamp(" + std::to_string(ctx.now_us) + "::BIGINT)";
}

void Skip(Context& ctx, const std::string& record, const std::string& table,
          const std::string& message) {
  ctx.summary->skipped++;
  ctx.run.AddEvent("Warning", record, table, message);
}

// A SQL relation of the rows of `table` written since version `since` (all rows when since
// < 0), or "" when there are none. Copy-on-write upserts put unchanged rows in new files too;
// those are recognised by their unchanged (id, msftModifiedDatetime) and left out.
Result<std::string> ChangedRows(Context& ctx, const lake::DeltaTable& table, int64_t since,
                                int64_t* version) {
  *version = -1;
  if (!table.Exists()) return std::string();
  DL_ASSIGN_OR_RETURN(lake::Snapshot now, table.Load(ctx.engine));
  *version = now.version;
  if (since >= now.version || now.files.empty()) return std::string();
  DL_ASSIGN_OR_RETURN(std::string scan, table.ScanSql(now));
  if (since < 0) return "(" + scan + ")";
  DL_ASSIGN_OR_RETURN(auto added, FilesAddedSince(table, ctx.engine, now, since));
  if (added.empty()) return std::string();
  DL_ASSIGN_OR_RETURN(lake::Snapshot old, table.Load(ctx.engine, since));
  std::string old_scan =
      "(SELECT NULL::VARCHAR AS id, NULL::TIMESTAMPTZ AS msftModifiedDatetime "
      "LIMIT 0)";
  if (!old.files.empty()) {
    DL_ASSIGN_OR_RETURN(std::string s, table.ScanSql(old));
    old_scan = "(" + s + ")";
  }
  return "(SELECT n.* FROM " + ParquetScan(added) + " n WHERE NOT EXISTS (SELECT 1 FROM " +
         old_scan + " o WHERE o.id = n.id AND o.msftModifiedDatetime = n.msftModifiedDatetime))";
}

// Upserts the rows of temp table `staged` into a gold table by `key`, leaving out rows whose
// values (all but msftModifiedDatetime) equal the stored row. Returns the rows written.
Result<int64_t> UpsertChanged(Context& ctx, const lake::TableId& id, const lake::Schema& schema,
                              const std::string& staged, const std::string& key,
                              const std::string& txn_app = "", int64_t txn_version = -1) {
  lake::DeltaTable table = ctx.lake.OpenTable(id);
  DL_RETURN_IF_ERROR(
      table.Create(ctx.engine, schema, std::string("dicomlake: OMOP CDM ") + id.name));
  DL_ASSIGN_OR_RETURN(lake::Snapshot snap, table.Load(ctx.engine));
  std::string source = "SELECT * FROM " + staged;
  if (!snap.files.empty()) {
    DL_ASSIGN_OR_RETURN(std::string scan, table.ScanSql(snap));
    std::string same;
    for (const auto& f : schema.fields) {
      if (f.name == "msftModifiedDatetime") continue;
      same += (same.empty() ? "" : " AND ") + std::string("t.") + lake::QuoteIdent(f.name) +
              " IS NOT DISTINCT FROM s." + lake::QuoteIdent(f.name);
    }
    source = "SELECT s.* FROM " + staged + " s WHERE NOT EXISTS (SELECT 1 FROM (" + scan +
             ") t WHERE " + same + ")";
  }
  lake::UpsertOptions options;
  options.key_columns = {key};
  if (!txn_app.empty()) table.SetTransaction(txn_app, txn_version);
  DL_ASSIGN_OR_RETURN(lake::CommitOutcome outcome, table.Upsert(ctx.engine, source, options));
  return outcome.rows_written;
}

// Fills temp table __gold_ids(source_id, omop_id) for the source ids selected by `sql`.
Status StageIds(Context& ctx, const std::string& resource_type, const std::string& sql,
                const std::string& temp) {
  DL_ASSIGN_OR_RETURN(lake::QueryResult r, ctx.engine.Query(sql));
  std::vector<std::string> ids;
  for (const auto& row : r.rows)
    if (!row[0].is_null()) ids.push_back(row[0].s);
  DL_ASSIGN_OR_RETURN(auto assigned,
                      omop::AssignIds(ctx.lake, ctx.engine, resource_type, ids, ctx.now_us));
  lake::Schema schema;
  schema.fields = {lake::StringField("source_id"), lake::IntField("omop_id")};
  std::vector<lake::Row> rows;
  for (const auto& [source, id] : assigned)
    rows.push_back({lake::Value::String(source), lake::Value::Int(id)});
  return lake::CreateStagingTable(ctx.engine, temp, schema, rows, false);
}

// Records skipped rows: each row of `sql` is (record, message).
Status SkipRows(Context& ctx, const std::string& table, const std::string& sql) {
  DL_ASSIGN_OR_RETURN(lake::QueryResult r, ctx.engine.Query(sql));
  for (const auto& row : r.rows) Skip(ctx, row[0].is_null() ? "" : row[0].s, table, row[1].s);
  return Status::Ok();
}

// The map of `values` as a temp table (text -> concept_id).
Status StageMap(Context& ctx, const std::string& temp, const std::map<std::string, int32_t>& map) {
  lake::Schema schema;
  schema.fields = {lake::StringField("value"), lake::IntField("concept_id")};
  std::vector<lake::Row> rows;
  for (const auto& [k, v] : map) rows.push_back({lake::Value::String(k), lake::Value::Int(v)});
  return lake::CreateStagingTable(ctx.engine, temp, schema, rows, false);
}

Status Run(Context& ctx) {
  auto& e = ctx.engine;
  const auto& settings = ctx.config.settings();
  lake::DeltaTable studies = ctx.lake.OpenTable(lake::table::kImagingStudy);
  lake::DeltaTable patients = ctx.lake.OpenTable(lake::table::kPatient);
  lake::DeltaTable metastore = ctx.lake.OpenTable(lake::table::kImagingMetastore);
  lake::DeltaTable person_table = ctx.lake.OpenTable(lake::table::kPerson);
  lake::DeltaTable image_table = ctx.lake.OpenTable(lake::table::kImageOccurrence);
  DL_RETURN_IF_ERROR(person_table.Create(e, omop::PersonSchema(), "dicomlake: OMOP CDM person"));
  DL_RETURN_IF_ERROR(
      image_table.Create(e, omop::ImageOccurrenceSchema(), "dicomlake: OMOP CDM image_occurrence"));
  DL_ASSIGN_OR_RETURN(lake::Snapshot person_snap, person_table.Load(e));
  DL_ASSIGN_OR_RETURN(lake::Snapshot image_snap, image_table.Load(e));
  auto txn = [](const lake::Snapshot& s, const char* app) {
    auto it = s.txns.find(app);
    return it == s.txns.end() ? int64_t{-1} : it->second.version;
  };
  int64_t patient_version = -1, study_version = -1;
  DL_ASSIGN_OR_RETURN(std::string changed_patients,
                      ChangedRows(ctx, patients, txn(person_snap, kPatientApp), &patient_version));
  DL_ASSIGN_OR_RETURN(std::string changed_studies,
                      ChangedRows(ctx, studies, txn(image_snap, kStudyApp), &study_version));
  if (changed_patients.empty() && changed_studies.empty()) return Status::Ok();

  DL_ASSIGN_OR_RETURN(omop::ConceptMaps maps,
                      omop::LoadConceptMaps(e, settings.gold.athena_vocabulary_path));
  ctx.summary->athena_overrides = maps.athena_overrides;
  DL_RETURN_IF_ERROR(StageMap(ctx, "__gold_modality_map", maps.modality));
  DL_RETURN_IF_ERROR(StageMap(ctx, "__gold_body_part_map", maps.body_part));

  // The changed rows, materialised once.
  std::string person_source_sql =
      "CASE WHEN s.subject.id IS NOT NULL THEN s.subject.id WHEN s.subject.identifier.value IS "
      "NOT NULL THEN 'identifier:' || coalesce(s.subject.identifier.system, '') || '|' || "
      "s.subject.identifier.value ELSE 'study:' || s.id END";
  DL_RETURN_IF_ERROR(e.Execute(
      "CREATE OR REPLACE TEMP TABLE __gold_study AS SELECT s.id, s.msftSourceSystem, s.subject, "
      "s.started, s.description, s.procedureCode, s.series, s.meta_lastUpdated, " +
      person_source_sql + " AS person_source FROM " +
      (changed_studies.empty() ? "(SELECT * FROM (SELECT NULL::VARCHAR AS id) WHERE false)"
                               : changed_studies) +
      " s" + (changed_studies.empty() ? " WHERE false" : "")));
  if (changed_studies.empty()) {
    DL_RETURN_IF_ERROR(e.Execute("DELETE FROM __gold_study"));
  }
  DL_ASSIGN_OR_RETURN(lake::QueryResult n_studies, e.Query("SELECT count(*) FROM __gold_study"));
  ctx.summary->studies_read = n_studies.rows[0][0].i;

  // DICOM facts of those studies from the metastore: the newest instance of each study and of
  // each series.
  std::string meta_scan =
      "(SELECT NULL::VARCHAR AS id, NULL::VARCHAR AS seriesInstanceUid, "
      "NULL::VARCHAR AS studyInstanceUid, NULL::VARCHAR AS metadata_string, "
      "NULL::VARCHAR AS filePath, NULL::TIMESTAMPTZ AS sourceModifiedAt "
      "LIMIT 0)";
  if (metastore.Exists()) {
    DL_ASSIGN_OR_RETURN(lake::Snapshot ms, metastore.Load(e));
    if (!ms.files.empty()) {
      DL_ASSIGN_OR_RETURN(std::string s, metastore.ScanSql(ms));
      meta_scan = "(" + s + ")";
    }
  }
  DL_RETURN_IF_ERROR(e.Execute(
      "CREATE OR REPLACE TEMP TABLE __gold_meta AS SELECT id, seriesInstanceUid, studyInstanceUid, "
      "sourceModifiedAt, filePath, json_extract_string(metadata_string, '$.\"00100040\".Value[0]') "
      "AS sex, json_extract_string(metadata_string, '$.\"00100030\".Value[0]') AS birth, "
      "json_extract_string(metadata_string, '$.\"00101010\".Value[0]') AS age, "
      "json_extract_string(metadata_string, '$.\"00180015\".Value[0]') AS body_part FROM " +
      meta_scan + " m WHERE m.id IN (SELECT id FROM __gold_study)"));

  // --- person --------------------------------------------------------------------------
  // From silver Patient (changed rows), and for studies whose subject has no Patient, from the
  // DICOM patient module of the study's newest instance.
  std::string patient_rows =
      changed_patients.empty()
          ? "SELECT * FROM (SELECT NULL::VARCHAR AS source_id, NULL::VARCHAR AS gender, "
            "NULL::VARCHAR AS birth, NULL::VARCHAR AS table_name, NULL::TIMESTAMPTZ AS updated "
            "LIMIT 0)"
          : "SELECT p.id AS source_id, p.gender, p.birthDate AS birth, 'Patient' AS table_name, "
            "p.meta_lastUpdated AS updated FROM " +
                changed_patients + " p";
  DL_RETURN_IF_ERROR(e.Execute(
      "CREATE OR REPLACE TEMP TABLE __gold_person_src AS SELECT * FROM (" + patient_rows +
      " UNION ALL SELECT s.person_source, CASE upper(d.sex) WHEN 'M' THEN 'male' WHEN 'F' THEN "
      "'female' WHEN 'O' THEN 'other' ELSE d.sex END, coalesce(strftime(TRY_STRPTIME(d.birth, "
      "'%Y%m%d'), '%Y-%m-%d'), CASE WHEN regexp_matches(d.age, '^[0-9]{3}Y$') AND "
      "s.started IS NOT NULL THEN lpad((TRY_CAST(left(s.started, 4) AS INTEGER) - "
      "TRY_CAST(left(d.age, 3) AS INTEGER))::VARCHAR, 4, '0') END), 'ImagingStudy', "
      "s.meta_lastUpdated FROM __gold_study s LEFT JOIN (SELECT id, arg_max(sex, "
      "sourceModifiedAt) AS sex, arg_max(birth, sourceModifiedAt) AS birth, arg_max(age, "
      "sourceModifiedAt) AS age FROM __gold_meta GROUP BY id) d ON d.id = s.id WHERE "
      "s.subject.id IS NULL) QUALIFY row_number() OVER (PARTITION BY source_id ORDER BY updated "
      "DESC NULLS LAST) = 1"));
  DL_RETURN_IF_ERROR(SkipRows(
      ctx, "person",
      "SELECT source_id, 'no year of birth: OMOP requires person.year_of_birth, so this person "
      "and their records are left out of gold' FROM __gold_person_src WHERE "
      "TRY_CAST(left(birth, 4) AS INTEGER) IS NULL"));
  DL_RETURN_IF_ERROR(StageIds(ctx, "person",
                              "SELECT source_id FROM __gold_person_src WHERE "
                              "TRY_CAST(left(birth, 4) AS INTEGER) IS NOT NULL",
                              "__gold_person_ids"));
  DL_RETURN_IF_ERROR(e.Execute(
      "CREATE OR REPLACE TEMP TABLE __gold_person AS SELECT i.omop_id AS person_id, CASE "
      "lower(p.gender) WHEN 'male' THEN 8507 WHEN 'female' THEN 8532 ELSE 0 END AS "
      "gender_concept_id, TRY_CAST(left(p.birth, 4) AS INTEGER) AS year_of_birth, CASE WHEN "
      "length(p.birth) >= 7 THEN TRY_CAST(substr(p.birth, 6, 2) AS INTEGER) END AS "
      "month_of_birth, CASE WHEN length(p.birth) >= 10 THEN TRY_CAST(substr(p.birth, 9, 2) AS "
      "INTEGER) END AS day_of_birth, CASE WHEN length(p.birth) >= 10 THEN "
      "TRY_CAST(left(p.birth, 10) || ' 00:00:00+00' AS TIMESTAMPTZ) END AS birth_datetime, 0 AS "
      "race_concept_id, 0 AS ethnicity_concept_id, NULL::INTEGER AS location_id, NULL::INTEGER "
      "AS provider_id, NULL::INTEGER AS care_site_id, p.source_id AS person_source_value, "
      "p.gender AS gender_source_value, 0 AS gender_source_concept_id, NULL::VARCHAR AS "
      "race_source_value, 0 AS race_source_concept_id, NULL::VARCHAR AS ethnicity_source_value, "
      "0 AS ethnicity_source_concept_id, p.source_id AS msftSourceRecordId, p.table_name AS "
      "msftSourceTableName, " +
      Now(ctx) +
      " AS msftModifiedDatetime FROM __gold_person_src p JOIN __gold_person_ids i ON "
      "i.source_id = p.source_id"));
  DL_ASSIGN_OR_RETURN(ctx.summary->persons,
                      UpsertChanged(ctx, lake::table::kPerson, omop::PersonSchema(),
                                    "__gold_person", "person_id", kPatientApp, patient_version));
  ctx.summary->patients_read = 0;
  if (!changed_patients.empty()) {
    DL_ASSIGN_OR_RETURN(lake::QueryResult n,
                        e.Query("SELECT count(*) FROM __gold_person_src WHERE table_name = "
                                "'Patient'"));
    ctx.summary->patients_read = n.rows[0][0].i;
  }

  // The persons that exist in gold now, for the studies.
  DL_ASSIGN_OR_RETURN(lake::Snapshot persons_now, person_table.Load(e));
  DL_ASSIGN_OR_RETURN(std::string persons_scan, person_table.ScanSql(persons_now));
  DL_RETURN_IF_ERROR(
      e.Execute("CREATE OR REPLACE TEMP TABLE __gold_study_person AS SELECT s.id, p.person_id FROM "
                "__gold_study s JOIN (" +
                persons_scan + ") p ON p.person_source_value = s.person_source"));

  // --- procedure_occurrence (one per study) --------------------------------------------
  std::string procedure_concept = "0";
  if (maps.athena) {
    // The standard concept of the first SNOMED or LOINC procedure code, when Athena has it.
    DL_RETURN_IF_ERROR(e.Execute(
        "CREATE OR REPLACE TEMP TABLE __gold_proc_concept AS SELECT s.id, coalesce(min(CASE WHEN "
        "c.standard_concept = 'S' THEN c.concept_id END), min(t.concept_id)) AS concept_id FROM "
        "__gold_study s, unnest(s.procedureCode) AS pc(code), unnest(pc.code.coding) AS "
        "cd(coding) JOIN __athena_concept c ON c.concept_code = cd.coding.code AND "
        "c.vocabulary_id = CASE cd.coding.system WHEN 'http://snomed.info/sct' THEN 'SNOMED' "
        "WHEN 'http://loinc.org' THEN 'LOINC' END LEFT JOIN __athena_relationship r ON "
        "r.concept_id_1 = c.concept_id AND r.relationship_id = 'Maps to' LEFT JOIN "
        "__athena_concept t ON t.concept_id = r.concept_id_2 AND t.standard_concept = 'S' GROUP "
        "BY s.id"));
    procedure_concept =
        "coalesce((SELECT concept_id FROM __gold_proc_concept c WHERE c.id = s.id), 0)";
  }
  std::string study_date =
      "coalesce(TRY_CAST(left(s.started, 10) AS DATE), (SELECT min(TRY_CAST(left(x.started, 10) "
      "AS DATE)) FROM unnest(s.series) AS u(x)))";
  DL_RETURN_IF_ERROR(SkipRows(ctx, "procedure_occurrence",
                              "SELECT s.id, 'study without a person in gold (see the person "
                              "events) is left out' FROM __gold_study s WHERE s.id NOT IN (SELECT "
                              "id FROM __gold_study_person)"));
  DL_RETURN_IF_ERROR(SkipRows(
      ctx, "procedure_occurrence",
      "SELECT s.id, 'study without a full date (StudyDate or SeriesDate): OMOP requires "
      "procedure_date, so it is left out' FROM __gold_study s JOIN __gold_study_person USING (id) "
      "WHERE " +
          study_date + " IS NULL"));
  DL_RETURN_IF_ERROR(StageIds(ctx, "procedure_occurrence",
                              "SELECT s.id FROM __gold_study s JOIN __gold_study_person USING "
                              "(id) WHERE " +
                                  study_date + " IS NOT NULL",
                              "__gold_procedure_ids"));
  DL_RETURN_IF_ERROR(e.Execute(
      "CREATE OR REPLACE TEMP TABLE __gold_procedure AS SELECT i.omop_id AS "
      "procedure_occurrence_id, sp.person_id, " +
      procedure_concept + " AS procedure_concept_id, " + study_date +
      " AS procedure_date, CASE WHEN s.started LIKE '%T%' THEN TRY_CAST(s.started AS "
      "TIMESTAMPTZ) END AS procedure_datetime, NULL::DATE AS procedure_end_date, "
      "NULL::TIMESTAMPTZ AS procedure_end_datetime, " +
      std::to_string(kTypeConceptEhr) +
      " AS procedure_type_concept_id, NULL::INTEGER AS modifier_concept_id, NULL::INTEGER AS "
      "quantity, NULL::INTEGER AS provider_id, NULL::INTEGER AS visit_occurrence_id, "
      "NULL::INTEGER AS visit_detail_id, left(coalesce(s.procedureCode[1].coding[1].code, "
      "s.procedureCode[1].text, s.description), 50) AS procedure_source_value, 0 AS "
      "procedure_source_concept_id, NULL::VARCHAR AS modifier_source_value, s.id AS "
      "msftSourceRecordId, 'ImagingStudy' AS msftSourceTableName, " +
      Now(ctx) +
      " AS msftModifiedDatetime FROM __gold_study s JOIN __gold_study_person sp USING (id) JOIN "
      "__gold_procedure_ids i ON i.source_id = s.id"));
  DL_ASSIGN_OR_RETURN(
      ctx.summary->procedures,
      UpsertChanged(ctx, lake::table::kProcedureOccurrence, omop::ProcedureOccurrenceSchema(),
                    "__gold_procedure", "procedure_occurrence_id"));

  // --- image_occurrence (one per series) ------------------------------------------------
  std::string base = settings.gold.dicomweb_base_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  DL_RETURN_IF_ERROR(e.Execute(
      "CREATE OR REPLACE TEMP TABLE __gold_series AS SELECT s.id, s.id || '/' || s.x.uid AS "
      "source_id, s.x.uid AS series_uid, s.x.modality.code AS modality, s.x.started AS "
      "series_started, p.procedure_occurrence_id, p.person_id, p.procedure_date, m.study_uid, "
      "m.body_part, m.local_path FROM (SELECT id, unnest(series) AS x FROM __gold_study) s JOIN "
      "__gold_procedure p ON p.msftSourceRecordId = s.id LEFT JOIN (SELECT id, seriesInstanceUid, "
      "arg_max(studyInstanceUid, sourceModifiedAt) AS study_uid, arg_max(body_part, "
      "sourceModifiedAt) AS body_part, regexp_replace(min(filePath), '/[^/]*$', '') AS local_path "
      "FROM __gold_meta GROUP BY id, seriesInstanceUid) m ON m.id = s.id AND m.seriesInstanceUid "
      "= s.x.uid"));
  DL_RETURN_IF_ERROR(SkipRows(ctx, "image_occurrence",
                              "SELECT source_id, 'series without a StudyInstanceUID is left out "
                              "(image_study_uid is required)' FROM __gold_series WHERE study_uid "
                              "IS NULL"));
  DL_RETURN_IF_ERROR(StageIds(ctx, "image_occurrence",
                              "SELECT source_id FROM __gold_series WHERE study_uid IS NOT NULL",
                              "__gold_image_ids"));
  std::string wadors = base.empty() ? "NULL::VARCHAR"
                                    : QuoteLiteral(base + "/studies/") +
                                          " || g.study_uid || '/series/' || g.series_uid";
  DL_RETURN_IF_ERROR(e.Execute(
      "CREATE OR REPLACE TEMP TABLE __gold_image AS SELECT i.omop_id AS image_occurrence_id, "
      "g.person_id, g.procedure_occurrence_id, NULL::INTEGER AS visit_occurrence_id, "
      "coalesce(b.concept_id, 0) AS anatomic_site_concept_id, " +
      wadors +
      " AS wadors_uri, g.local_path, coalesce(TRY_CAST(left(g.series_started, 10) AS DATE), "
      "g.procedure_date) AS image_occurrence_date, g.study_uid AS image_study_uid, g.series_uid "
      "AS image_series_uid, coalesce(mo.concept_id, 0) AS modality_concept_id, g.modality AS "
      "modality_source_value, g.body_part AS anatomic_site_source_value, g.source_id AS "
      "msftSourceRecordId, 'ImagingStudy' AS msftSourceTableName, " +
      Now(ctx) +
      " AS msftModifiedDatetime FROM __gold_series g JOIN __gold_image_ids i ON i.source_id = "
      "g.source_id LEFT JOIN __gold_modality_map mo ON mo.value = g.modality LEFT JOIN "
      "__gold_body_part_map b ON b.value = upper(replace(replace(replace(g.body_part, ' ', ''), "
      "'_', ''), '-', ''))"));
  DL_ASSIGN_OR_RETURN(
      ctx.summary->images,
      UpsertChanged(ctx, lake::table::kImageOccurrence, omop::ImageOccurrenceSchema(),
                    "__gold_image", "image_occurrence_id", kStudyApp, study_version));
  for (const char* t : {"__gold_study", "__gold_meta", "__gold_person_src", "__gold_person_ids",
                        "__gold_person", "__gold_study_person", "__gold_procedure_ids",
                        "__gold_procedure", "__gold_series", "__gold_image_ids", "__gold_image",
                        "__gold_modality_map", "__gold_body_part_map", "__gold_proc_concept"})
    (void)e.Execute(std::string("DROP TABLE IF EXISTS ") + t);
  return Status::Ok();
}

}  // namespace

std::string GoldSummary::ToJson() const {
  nlohmann::ordered_json j;
  j["runId"] = run_id;
  j["studiesRead"] = studies_read;
  j["patientsRead"] = patients_read;
  j["personsWritten"] = persons;
  j["proceduresWritten"] = procedures;
  j["imagesWritten"] = images;
  j["skipped"] = skipped;
  j["athenaOverrides"] = athena_overrides;
  j["elapsedSeconds"] = elapsed_seconds;
  return j.dump(2);
}

Result<GoldSummary> RunGold(const lake::Lake& lake, lake::Engine& engine,
                            const config::Config& config) {
  static const StageSpec kGold{"gold", kGoldActivity, "gold"};
  GoldSummary summary;
  auto work = [&](StageRun& run) -> Status {
    summary.run_id = run.run_id();
    Context ctx{run.lake, run.engine, run.config, &summary, run.started_us(), run};
    DL_RETURN_IF_ERROR(Run(ctx));
    ExecutionSummary& es = run.summary;
    es.target_path = lake.TablesPath("gold");
    es.target_lakehouse = "gold";
    es.source_path = lake.TablesPath("silver");
    es.source_lakehouse = "silver";
    es.target_records = summary.persons + summary.procedures + summary.images;
    es.source_records = summary.studies_read + summary.patients_read;
    es.target_granular = {{"person", summary.persons},
                          {"procedure_occurrence", summary.procedures},
                          {"image_occurrence", summary.images}};
    es.attributes = {{"skippedCount", std::to_string(summary.skipped)},
                     {"athenaOverrides", std::to_string(summary.athena_overrides)}};
    return Status::Ok();
  };
  DL_ASSIGN_OR_RETURN(summary.elapsed_seconds,
                      RunStage(kGold, lake, engine, config, work, &summary.run_id));
  return summary;
}

}  // namespace dicomlake::pipeline
