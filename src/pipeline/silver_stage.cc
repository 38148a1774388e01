#include "pipeline/silver_stage.h"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <tuple>

#include "bronze/file_store.h"
#include "common/fs.h"
#include "common/hash.h"
#include "common/sha256.h"
#include "common/time_util.h"
#include "config/config.h"
#include "lake/delta_table.h"
#include "lake/engine.h"
#include "lake/lake.h"
#include "pipeline/admin_tables.h"
#include "pipeline/stage_runner.h"
#include "pipeline/stage_support.h"
#include "scan/file_manifest.h"
#include "silver/fhir_tables.h"
#include "silver/flatten.h"
#include "silver/metastore.h"
#include "silver/patient_link.h"

namespace dicomlake::pipeline {
namespace {

using json = nlohmann::ordered_json;

constexpr const char* kManifestPattern = "fhir-ndjson";
// Resources per commit round: bounds memory and keeps commits reasonably large.
constexpr size_t kResourcesPerRound = 20000;

struct NdjsonFile {
  std::string path;
  std::string namespace_name;
  bool dropped = false;  // in the Ingest drop zone (moved to Process once committed)
  int64_t size = 0;
  int64_t mtime_us = 0;
};

struct Context {
  const lake::Lake& lake;
  lake::Engine& engine;
  const config::Config& config;
  SilverSummary* summary;
  int64_t now_us;
  StageRun& run;
};

void RecordProblem(Context& ctx, const std::string& path, const std::string& reason,
                   const std::string& target_table) {
  ctx.summary->failed++;
  ctx.summary->failures.push_back({path, reason});
  BusinessEvent e;
  e.source_file_path = path;
  e.target_table_name = target_table;
  e.message = reason;
  ctx.run.AddEvent(std::move(e));
}

// --- 1. ImagingMetastore -----------------------------------------------------------------

// --- 2. NDJSON files ---------------------------------------------------------------------

Status ListNdjson(const std::string& root, const std::string& default_ns, bool dropped,
                  std::vector<NdjsonFile>* out) {
  if (!fs::IsDirectory(root)) return Status::Ok();
  // (folder, namespace) pairs still to list; the namespace is the first level below root.
  std::vector<std::pair<std::string, std::string>> todo = {{root, ""}};
  while (!todo.empty()) {
    auto [dir, ns] = todo.back();
    todo.pop_back();
    DL_ASSIGN_OR_RETURN(auto entries, fs::ListDir(dir));
    for (const auto& e : entries) {
      std::string path = fs::Join(dir, e.name);
      if (e.is_dir) {
        todo.emplace_back(path, ns.empty() ? e.name : ns);
      } else if (e.is_regular && e.name.size() > 7 &&
                 e.name.compare(e.name.size() - 7, 7, ".ndjson") == 0) {
        out->push_back({path, ns.empty() ? default_ns : ns, dropped, static_cast<int64_t>(e.size),
                        e.mtime_ms * 1000});
      }
    }
  }
  return Status::Ok();
}

// The rows of one round, ready to commit.
struct Round {
  std::vector<NdjsonFile> files;
  std::vector<lake::Row> clinical, patients, studies;
  std::vector<silver::IdentifierKey> patient_identifiers;  // of the patients in this round
  std::vector<silver::IdentifierKey> study_subjects;       // per row of `studies`
  size_t resources = 0;
};

// One line's ImagingStudy resource into the round, with its subject identifier.
void AddStudy(Context& ctx, const json& resource, const silver::Lineage& lineage,
              const std::string& where, Round* round) {
  static const lake::Schema kStudy = silver::ImagingStudySchema();
  if (!resource.contains("id") || !resource["id"].is_string()) {
    RecordProblem(ctx, where, "ImagingStudy without id", "ImagingStudy");
    return;
  }
  ctx.summary->imaging_studies++;
  round->studies.push_back(silver::FlattenResource(resource, kStudy, lineage));
  silver::IdentifierKey subject;
  const json* ident = nullptr;
  if (resource.contains("subject") && resource["subject"].is_object() &&
      resource["subject"].contains("identifier"))
    ident = &resource["subject"]["identifier"];
  if (ident != nullptr && ident->is_object())
    subject = {ident->value("system", ""), ident->value("value", "")};
  round->study_subjects.push_back(subject);
}

// One line's Patient resource into the round, with its identifiers.
void AddPatient(Context& ctx, const json& resource, const silver::Lineage& lineage,
                const std::string& where, Round* round) {
  static const lake::Schema kPatient = silver::PatientSchema();
  if (!resource.contains("id") || !resource["id"].is_string()) {
    RecordProblem(ctx, where, "Patient without id: kept in ClinicalFhir only", "Patient");
    return;
  }
  ctx.summary->patients++;
  round->patients.push_back(silver::FlattenResource(resource, kPatient, lineage));
  if (!resource.contains("identifier") || !resource["identifier"].is_array()) return;
  for (const auto& i : resource["identifier"]) {
    if (i.is_object() && i.contains("system") && i.contains("value") && i["system"].is_string() &&
        i["value"].is_string())
      round->patient_identifiers.emplace_back(i["system"].get<std::string>(),
                                              i["value"].get<std::string>());
  }
}

// One line of an NDJSON file: an ImagingStudy, or a clinical resource kept as it arrived (and
// flattened too when it is a Patient).
void ReadLine(Context& ctx, const NdjsonFile& file, const std::string& run_id,
              const std::string& line, int64_t line_no, Round* round) {
  std::string where = file.path + ":" + std::to_string(line_no);
  json resource = json::parse(line, nullptr, false);
  if (resource.is_discarded() || !resource.is_object()) {
    RecordProblem(ctx, where, "not a JSON object", "ClinicalFhir");
    return;
  }
  auto type_it = resource.find("resourceType");
  if (type_it == resource.end() || !type_it->is_string() || type_it->get<std::string>().empty()) {
    RecordProblem(ctx, where, "no resourceType", "ClinicalFhir");
    return;
  }
  std::string type = type_it->get<std::string>();
  round->resources++;
  std::string stored_path = ctx.lake.StoredPath(file.path);
  silver::Lineage lineage{file.namespace_name, stored_path, ctx.now_us, file.mtime_us};
  if (type == "ImagingStudy") return AddStudy(ctx, resource, lineage, where, round);
  std::string id = resource.contains("id") && resource["id"].is_string()
                       ? resource["id"].get<std::string>()
                       : "sha256:" + Sha256Hex(line);
  int64_t last_updated = file.mtime_us;
  if (resource.contains("meta") && resource["meta"].is_object() &&
      resource["meta"].contains("lastUpdated") && resource["meta"]["lastUpdated"].is_string())
    (void)silver::ParseFhirInstant(resource["meta"]["lastUpdated"].get<std::string>(),
                                   &last_updated);
  round->clinical.push_back({lake::Value::String(type), lake::Value::String(id),
                             lake::Value::String(file.namespace_name),
                             lake::Value::Timestamp(last_updated), lake::Value::String(line),
                             lake::Value::String(stored_path), lake::Value::Int(line_no),
                             lake::Value::String(run_id), lake::Value::Timestamp(ctx.now_us)});
  if (type == "Patient") {
    AddPatient(ctx, resource, lineage, where, round);
  } else {
    ctx.summary->other_resources++;
  }
}

void ReadFile(Context& ctx, const NdjsonFile& file, const std::string& run_id, Round* round) {
  auto text = fs::ReadFile(file.path);
  if (!text.ok()) {
    RecordProblem(ctx, file.path, "cannot read: " + text.status().message(), "");
    return;
  }
  size_t pos = 0;
  int64_t line_no = 0;
  while (pos < text->size()) {
    size_t end = text->find('\n', pos);
    if (end == std::string::npos) end = text->size();
    std::string line = text->substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    ReadLine(ctx, file, run_id, line, line_no, round);
  }
}

// Upserts `rows` into a table (created if missing) through a staging table.
Status UpsertRows(Context& ctx, const lake::TableId& id, const lake::Schema& schema,
                  const std::string& description, const std::vector<lake::Row>& rows,
                  const lake::UpsertOptions& options) {
  if (rows.empty()) return Status::Ok();
  lake::DeltaTable table = ctx.lake.OpenTable(id);
  DL_RETURN_IF_ERROR(table.Create(ctx.engine, schema, description));
  return table.UpsertRows(ctx.engine, rows, options).status();
}

lake::UpsertOptions FhirUpsert() {
  lake::UpsertOptions o;
  o.key_columns = {"id"};
  o.newer_wins_column = "meta_lastUpdated";
  o.preserve_columns = {"msftCreatedDatetime"};
  return o;
}

Status LinkStudies(Context& ctx, const std::vector<silver::IdentifierKey>& subjects,
                   std::vector<lake::Row>* studies) {
  static const lake::Schema kStudy = silver::ImagingStudySchema();
  std::vector<silver::IdentifierKey> keys;
  for (const auto& k : subjects)
    if (!k.second.empty()) keys.push_back(k);
  DL_ASSIGN_OR_RETURN(auto patients, silver::FindPatients(ctx.lake, ctx.engine, keys));
  for (size_t i = 0; i < studies->size(); ++i) {
    auto hit = patients.find(subjects[i]);
    if (subjects[i].second.empty() || hit == patients.end()) continue;
    silver::LinkSubjectColumn(&(*studies)[i], kStudy, hit->second.id, hit->second.id_orig);
    ctx.summary->studies_linked++;
  }
  return Status::Ok();
}

// The studies stored earlier whose patient arrived in this round get the Patient reference.
Status RelinkStudies(Context& ctx, const std::vector<silver::IdentifierKey>& patient_identifiers) {
  static const lake::Schema kStudy = silver::ImagingStudySchema();
  if (patient_identifiers.empty()) return Status::Ok();
  DL_ASSIGN_OR_RETURN(std::vector<lake::Row> rows,
                      silver::FindUnlinkedStudies(ctx.lake, ctx.engine, patient_identifiers));
  if (!rows.empty()) {
    std::vector<silver::IdentifierKey> subjects;
    size_t subject = static_cast<size_t>(kStudy.IndexOf("subject"));
    for (const auto& row : rows) {
      const lake::Value& ident = row[subject].items[2];  // Reference.identifier
      subjects.emplace_back(ident.items[2].is_null() ? "" : ident.items[2].s,
                            ident.items[3].is_null() ? "" : ident.items[3].s);
    }
    for (auto& row : rows)
      row[static_cast<size_t>(kStudy.IndexOf("msftModifiedDatetime"))] =
          lake::Value::Timestamp(ctx.now_us);
    DL_RETURN_IF_ERROR(LinkStudies(ctx, subjects, &rows));
    lake::UpsertOptions relink;
    relink.key_columns = {"id"};
    relink.preserve_columns = {"msftCreatedDatetime"};
    DL_RETURN_IF_ERROR(UpsertRows(ctx, lake::table::kImagingStudy, kStudy, "", rows, relink));
  }
  return Status::Ok();
}

Status CommitRound(Context& ctx, Round* round) {
  static const lake::Schema kStudy = silver::ImagingStudySchema();
  lake::UpsertOptions clinical;
  clinical.key_columns = {"msftSourceSystem", "resourceType", "id"};
  clinical.newer_wins_column = "meta_lastUpdated";
  DL_RETURN_IF_ERROR(UpsertRows(ctx, lake::table::kClinicalFhir, silver::ClinicalFhirSchema(),
                                "dicomlake: clinical FHIR resources as they arrived",
                                round->clinical, clinical));
  DL_RETURN_IF_ERROR(UpsertRows(ctx, lake::table::kPatient, silver::PatientSchema(),
                                "dicomlake: FHIR Patient, flattened", round->patients,
                                FhirUpsert()));
  DL_RETURN_IF_ERROR(LinkStudies(ctx, round->study_subjects, &round->studies));
  DL_RETURN_IF_ERROR(UpsertRows(ctx, lake::table::kImagingStudy, kStudy,
                                "dicomlake: FHIR ImagingStudy, flattened", round->studies,
                                FhirUpsert()));
  DL_RETURN_IF_ERROR(RelinkStudies(ctx, round->patient_identifiers));
  // Record the files, then move the dropped ones to Process: a crash before the move leaves
  // them in the drop zone, and reading them again changes nothing (upserts).
  std::vector<lake::Row> manifest;
  std::string process_root = fs::Join(ctx.lake.FilesPath("bronze"), "Process/Clinical/FHIR-NDJSON");
  std::vector<std::pair<std::string, std::string>> moves;
  for (const auto& f : round->files) {
    std::string final_path = f.path;
    if (f.dropped) {
      std::string name = f.path.substr(f.path.rfind('/') + 1);
      final_path = bronze::UniquePath(
          fs::Join(fs::Join(fs::Join(process_root, f.namespace_name), bronze::DatePath(ctx.now_us)),
                   name),
          ctx.summary->run_id.substr(0, 8));
      moves.emplace_back(f.path, final_path);
    }
    ManifestEntry e;
    e.path = ctx.lake.StoredPath(final_path);
    e.namespace_name = f.namespace_name;
    e.pattern = kManifestPattern;
    e.state = "processed";
    e.run_id = ctx.summary->run_id;
    e.size = f.size;
    e.modified_us = f.mtime_us;
    manifest.push_back(ManifestRow(e, ctx.now_us));
  }
  DL_RETURN_IF_ERROR(
      CreateAdminTable(ctx.lake, ctx.engine, lake::table::kFileManifest, true).status());
  lake::DeltaTable manifest_table = ctx.lake.OpenTable(lake::table::kFileManifest);
  DL_RETURN_IF_ERROR(manifest_table.AppendRows(ctx.engine, manifest).status());
  for (const auto& [from, to] : moves) {
    DL_RETURN_IF_ERROR(fs::MakeDirs(to.substr(0, to.rfind('/'))));
    DL_RETURN_IF_ERROR(bronze::MoveFile(from, to));
  }
  *round = Round();
  return Status::Ok();
}

Status ReadNdjson(Context& ctx) {
  std::string bronze_files = ctx.lake.FilesPath("bronze");
  const std::string& default_ns = ctx.config.settings().global.default_namespace;
  std::vector<NdjsonFile> files;
  DL_RETURN_IF_ERROR(ListNdjson(fs::Join(bronze_files, "Process/Clinical/FHIR-NDJSON"), default_ns,
                                false, &files));
  DL_RETURN_IF_ERROR(
      ListNdjson(fs::Join(bronze_files, "Ingest/Clinical/FHIR-NDJSON"), default_ns, true, &files));
  DL_ASSIGN_OR_RETURN(auto known, scan::ReadKnownFiles(ctx.lake, ctx.engine, kManifestPattern));
  // Oldest first, so that within a round later files come later.
  std::sort(files.begin(), files.end(), [](const NdjsonFile& a, const NdjsonFile& b) {
    return std::tie(a.mtime_us, a.path) < std::tie(b.mtime_us, b.path);
  });
  Round round;
  for (const auto& f : files) {
    auto it = known.find(f.path);
    if (!f.dropped && it != known.end() && it->second == std::make_pair(f.size, f.mtime_us))
      continue;
    ctx.summary->ndjson_files++;
    ReadFile(ctx, f, ctx.summary->run_id, &round);
    round.files.push_back(f);
    if (round.resources >= kResourcesPerRound) DL_RETURN_IF_ERROR(CommitRound(ctx, &round));
  }
  if (!round.files.empty()) DL_RETURN_IF_ERROR(CommitRound(ctx, &round));
  return Status::Ok();
}

}  // namespace

std::string SilverSummary::ToJson() const {
  json j;
  j["runId"] = run_id;
  j["metastoreRows"] = metastore_rows;
  j["ndjsonFiles"] = ndjson_files;
  j["imagingStudies"] = imaging_studies;
  j["patients"] = patients;
  j["otherResources"] = other_resources;
  j["studiesLinked"] = studies_linked;
  j["failed"] = failed;
  j["failures"] = json::array();
  for (const auto& f : failures) j["failures"].push_back({{"path", f.path}, {"reason", f.reason}});
  j["elapsedSeconds"] = elapsed_seconds;
  return j.dump(2);
}

Result<SilverSummary> RunSilver(const lake::Lake& lake, lake::Engine& engine,
                                const config::Config& config) {
  static const StageSpec kSilver{"silver", kSilverActivity, "silver"};
  auto work = [](StageRun& run, SilverSummary* out) -> Status {
    SilverSummary& summary = *out;
    const lake::Lake& lake = run.lake;
    Context ctx{run.lake, run.engine, run.config, &summary, run.started_us(), run};
    DL_ASSIGN_OR_RETURN(int64_t rows,
                        silver::UpdateMetastore(run.lake, run.engine, run.started_us()));
    summary.metastore_rows += rows;
    DL_RETURN_IF_ERROR(ReadNdjson(ctx));
    ExecutionSummary& es = run.summary;
    es.status = summary.failed == 0 ? "Succeeded" : "SucceededWithFailures";
    es.target_path = lake.TablesPath("silver");
    es.target_lakehouse = "silver";
    es.source_path = fs::Join(lake.FilesPath("bronze"), "Process/Clinical/FHIR-NDJSON");
    es.source_lakehouse = "bronze";
    es.target_records = summary.imaging_studies + summary.patients + summary.metastore_rows;
    es.source_files = summary.ndjson_files;
    es.target_granular = {{"ImagingStudy", summary.imaging_studies},
                          {"Patient", summary.patients},
                          {"ImagingMetastore", summary.metastore_rows},
                          {"ClinicalFhir", summary.patients + summary.other_resources}};
    es.attributes = {{"successCount", std::to_string(summary.imaging_studies + summary.patients)},
                     {"failedCount", std::to_string(summary.failed)},
                     {"studiesLinked", std::to_string(summary.studies_linked)}};
    return Status::Ok();
  };
  return RunStageFor<SilverSummary>(kSilver, lake, engine, config, work);
}

}  // namespace dicomlake::pipeline
