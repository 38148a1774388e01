#include "pipeline/deid_stage.h"

#include <fmt/format.h>
#include <limits.h>
#include <stdlib.h>

#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>

#include "common/csv.h"
#include "common/fs.h"
#include "common/parallel.h"
#include "common/sha256.h"
#include "config/config.h"
#include "deid/deidentifier.h"
#include "deid/fhir_deid.h"
#include "deid/keyed.h"
#include "lake/engine.h"
#include "lake/lake.h"
#include "pipeline/admin_tables.h"
#include "pipeline/file_access.h"
#include "pipeline/stage_runner.h"

namespace dicomlake::pipeline {

std::string DeidSummary::ToJson() const {
  nlohmann::ordered_json j;
  j["runId"] = run_id;
  j["researchLake"] = research_lake;
  j["keyFile"] = key_file;
  j["keyCreated"] = key_created;
  j["instances"] = instances;
  j["written"] = written;
  j["failed"] = failed;
  j["patients"] = patients;
  j["studies"] = studies;
  j["series"] = series;
  j["clinicalResources"] = clinical_resources;
  j["pixelsSearched"] = pixels_searched;
  j["redactedBoxes"] = redacted_boxes;
  j["idMap"] = id_map_path;
  j["idMapRows"] = id_map_rows;
  nlohmann::ordered_json stages = nlohmann::ordered_json::object();
  for (Stage s : AllStages()) stages[StageName(s)] = research.Describe(s);
  j["researchPipeline"] = stages;
  j["elapsedSeconds"] = elapsed_seconds;
  return j.dump(2);
}

namespace {

using json = nlohmann::ordered_json;

// `path` with symbolic links resolved, also when its last components do not exist yet.
std::string Canonical(const std::string& path) {
  std::string abs = fs::Absolute(path);
  char buffer[PATH_MAX];
  if (realpath(abs.c_str(), buffer) != nullptr) return buffer;
  size_t slash = abs.find_last_of('/');
  if (slash == std::string::npos || slash == 0) return abs;
  return fs::Join(Canonical(abs.substr(0, slash)), abs.substr(slash + 1));
}

bool Inside(const std::string& path, const std::string& folder) {
  return path == folder ||
         (path.size() > folder.size() && path.compare(0, folder.size(), folder) == 0 &&
          path[folder.size()] == '/');
}

Status CheckPlaces(const std::string& identified, const std::string& research,
                   const std::string& key_file) {
  std::string a = Canonical(identified), b = Canonical(research), k = Canonical(key_file);
  if (Inside(b, a) || Inside(a, b)) {
    return InvalidArgument("the research lake " + research +
                           " must be a folder of its own, not the identified lake " + identified +
                           ", inside it or around it");
  }
  if (Inside(k, a) || Inside(k, b)) {
    return InvalidArgument("the key file " + key_file +
                           " must not be inside a lake: keep it where only its owner reads it");
  }
  return Status::Ok();
}

bool ValidNamespace(const std::string& ns) {
  if (ns.empty() || ns == "." || ns == "..") return false;
  for (char c : ns) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != '_')
      return false;
  }
  return true;
}

struct SeriesResult {
  std::vector<deid::DeidReport> reports;
  std::vector<std::string> new_sops;  // per report
  std::vector<FileFailure> failures;
  int64_t written = 0;
};

class DeidRun {
 public:
  // `record_folder`: the identified lake's folder for this research lake (ResearchRecordFolder).
  DeidRun(StageRun& run, const DeidRequest& request, const deid::Key& key,
          const lake::Lake& research, lake::Engine& research_engine, std::string record_folder,
          DeidSummary* summary)
      : record_folder_(std::move(record_folder)),
        run_(run),
        request_(request),
        key_(key),
        research_(research),
        research_engine_(research_engine),
        summary_(summary) {
    const auto& s = run.config.settings().deid;
    settings_.options = request.options;
    settings_.clean_all_images = request.clean_all_images;
    settings_.shift_min_days = s.date_shift_min_days;
    settings_.shift_max_days = s.date_shift_max_days;
  }

  // `cohort`: selected by RunDeid, before anything was created.
  Status Run(const std::vector<CohortSeries>& cohort, const config::Config& research_config) {
    DL_RETURN_IF_ERROR(DeidentifyImages(cohort));
    std::string system = research_config.settings().fhir.patient_identifier_system;
    if (system.empty()) system = "urn:dicomlake:namespace:" + request_.research_namespace;
    DL_RETURN_IF_ERROR(DeidentifyClinical(system));
    DL_RETURN_IF_ERROR(WriteIdMap());
    Summarise();
    return Status::Ok();
  }

 private:
  std::string NewUid(const std::string& uid) const {
    return request_.options.Has(deid::Option::kRetainUids) ? uid : key_.NewUid(uid);
  }

  Status DeidentifyImages(const std::vector<CohortSeries>& cohort) {
    std::string drop = fs::Join(research_.FilesPath("bronze"),
                                "Ingest/Imaging/DICOM/" + request_.research_namespace);
    // Originals extracted from archives stay on the identified side.
    std::string scratch = fs::Join(record_folder_, ".scratch-" + run_.run_id());
    std::vector<SeriesResult> results(cohort.size());
    int64_t total = 0, done = 0;
    for (const auto& s : cohort) total += static_cast<int64_t>(s.instances.size());
    std::mutex mutex;
    DL_RETURN_IF_ERROR(ParallelFor(cohort.size(), WorkerCount(request_.threads), [&](size_t i) {
      const CohortSeries& s = cohort[i];
      SeriesResult& r = results[i];
      std::string own_scratch = fs::Join(scratch, std::to_string(i));
      std::vector<std::string> paths = MaterialiseOriginals(s, own_scratch, &r.failures);
      std::string folder =
          fs::Join(drop, NewUid(s.study_instance_uid) + "/" + NewUid(s.series_instance_uid));
      Status made = fs::MakeDirs(folder);
      for (size_t k = 0; k < s.instances.size(); ++k) {
        const CohortInstance& in = s.instances[k];
        if (paths[k].empty()) continue;  // a failure is recorded
        if (!made.ok()) {
          r.failures.push_back({in.file_path, in.archive_member, made.message()});
          continue;
        }
        std::string out = fs::Join(folder, NewUid(in.sop_instance_uid) + ".dcm");
        auto report = deid::DeidentifyFile(paths[k], out, key_, settings_);
        if (!report.ok()) {
          r.failures.push_back(
              {in.file_path, in.archive_member, "not de-identified: " + report.status().message()});
          continue;
        }
        r.reports.push_back(std::move(*report));
        r.new_sops.push_back(NewUid(in.sop_instance_uid));
        ++r.written;
      }
      (void)fs::RemoveAll(own_scratch);
      std::lock_guard<std::mutex> lock(mutex);
      done += static_cast<int64_t>(s.instances.size());
      if (request_.progress) request_.progress(done, total);
    }));
    (void)fs::RemoveAll(scratch);
    std::set<std::string> studies;
    std::vector<lake::Row> redactions;
    for (size_t i = 0; i < cohort.size(); ++i) {
      for (size_t k = 0; k < results[i].reports.size(); ++k) {
        const deid::DeidReport& report = results[i].reports[k];
        summary_->pixels_searched += report.pixels_searched ? 1 : 0;
        for (const auto& b : report.redactions) {
          redactions.push_back({lake::Value::String(results[i].new_sops[k]),
                                lake::Value::String(NewUid(cohort[i].series_instance_uid)),
                                lake::Value::Int(b.frame), lake::Value::Int(b.x),
                                lake::Value::Int(b.y), lake::Value::Int(b.width),
                                lake::Value::Int(b.height), lake::Value::Int(b.confidence),
                                lake::Value::Int(b.characters), lake::Value::String(run_.run_id()),
                                lake::Value::Timestamp(run_.started_us())});
        }
      }
      studies.insert(cohort[i].study_instance_uid);
      summary_->instances += static_cast<int64_t>(cohort[i].instances.size());
      summary_->written += results[i].written;
      for (auto& report : results[i].reports) {
        for (auto& [old_uid, new_uid] : report.uids) id_map_[old_uid] = new_uid;
        if (!report.patient_id.empty()) {
          patients_[report.patient_id] = report.patient_pseudonym;
          id_map_[report.patient_id] = report.patient_pseudonym;
        }
      }
      for (const auto& f : results[i].failures) {
        ++summary_->failed;
        BusinessEvent e;
        e.source_file_path = f.path;
        e.record_identifier = f.member.empty() ? cohort[i].series_instance_uid : f.member;
        e.target_table_name = "research lake";
        e.message = f.reason;
        e.custom_dimensions = json{{"seriesInstanceUid", cohort[i].series_instance_uid}}.dump();
        run_.AddEvent(std::move(e));
      }
    }
    summary_->redacted_boxes = static_cast<int64_t>(redactions.size());
    if (!redactions.empty()) {
      // Keyed by place, so that a re-run (the same boxes) adds nothing.
      lake::DeltaTable table = research_.OpenTable(lake::table::kPixelRedactions);
      DL_RETURN_IF_ERROR(table.Create(research_engine_, PixelRedactionsSchema(),
                                      "dicomlake: burned-in text blacked out by deid"));
      lake::UpsertOptions upsert;
      upsert.key_columns = {"sopInstanceUid", "frameNumber", "x", "y", "width", "height"};
      upsert.preserve_columns = {"runId", "createdDatetime"};
      DL_RETURN_IF_ERROR(table.UpsertRows(research_engine_, redactions, upsert).status());
    }
    summary_->series = static_cast<int64_t>(cohort.size());
    summary_->studies = static_cast<int64_t>(studies.size());
    summary_->patients = static_cast<int64_t>(patients_.size());
    return Status::Ok();
  }

  // The Patient resources whose identifier is a cohort PatientID, then every resource that
  // references one of them, de-identified for that patient.
  Status DeidentifyClinical(const std::string& identifier_system) {
    if (patients_.empty() || !run_.lake.OpenTable(lake::table::kClinicalFhir).Exists()) {
      return Status::Ok();
    }
    DL_ASSIGN_OR_RETURN(lake::QueryResult r,
                        run_.engine.Query("SELECT resourceType, id, resource_string FROM "
                                          "bronze.ClinicalFhir ORDER BY resourceType = 'Patient' "
                                          "DESC, resourceType, id, msftSourceSystem"));
    std::map<std::string, std::string> patient_of;  // Patient resource id -> PatientID
    std::vector<std::pair<json, std::string>> resources;
    for (const auto& row : r.rows) {
      if (row[2].is_null()) continue;
      json resource = json::parse(row[2].ToDisplay(), nullptr, /*allow_exceptions=*/false);
      if (!resource.is_object()) continue;
      std::string type = row[0].is_null() ? "" : row[0].ToDisplay();
      std::string id = row[1].is_null() ? "" : row[1].ToDisplay();
      std::string patient;
      if (type == "Patient") {
        for (const auto& i : resource.value("identifier", json::array())) {
          if (!i.is_object() || !i.contains("value") || !i["value"].is_string()) continue;
          std::string value = i["value"].get<std::string>();
          if (patients_.count(value)) {
            patient = value;
            break;
          }
        }
        if (!patient.empty() && !id.empty()) patient_of[id] = patient;
      } else {
        patient = ReferencedPatient(resource, patient_of);
      }
      if (!patient.empty()) resources.emplace_back(std::move(resource), patient);
    }
    if (resources.empty()) return Status::Ok();
    deid::FhirDeidContext context;
    context.key = &key_;
    context.settings = settings_;
    context.patient_identifier_system = identifier_system;
    std::string ndjson;
    for (const auto& [resource, patient] : resources) {
      DL_ASSIGN_OR_RETURN(json out, deid::DeidentifyResource(resource, patient, context));
      ndjson += out.dump() + "\n";
      std::string type = resource.value("resourceType", "");
      std::string id = resource.value("id", "");
      if (type == "Patient" && !id.empty())
        id_map_["Patient/" + id] = "Patient/" + out.value("id", "");
      ++summary_->clinical_resources;
    }
    std::string folder = fs::Join(research_.FilesPath("bronze"),
                                  "Ingest/Clinical/FHIR-NDJSON/" + request_.research_namespace);
    DL_RETURN_IF_ERROR(fs::MakeDirs(folder));
    return fs::WriteFileAtomic(fs::Join(folder, "deid-" + run_.run_id() + ".ndjson"), ndjson);
  }

  // The PatientID of the first cohort Patient that `v` references ("Patient/<id>"), or "".
  static std::string ReferencedPatient(const json& v,
                                       const std::map<std::string, std::string>& patient_of) {
    if (v.is_object()) {
      auto ref = v.find("reference");
      if (ref != v.end() && ref->is_string()) {
        std::string s = ref->get<std::string>();
        if (s.rfind("Patient/", 0) == 0) {
          auto it = patient_of.find(s.substr(8));
          if (it != patient_of.end()) return it->second;
        }
      }
    }
    if (v.is_object() || v.is_array()) {
      for (const auto& item : v) {
        std::string p = ReferencedPatient(item, patient_of);
        if (!p.empty()) return p;
      }
    }
    return "";
  }

  // Merged into the identified lake's id_map.csv (`id_old,id_new`, MIDI-B's shape), sorted.
  Status WriteIdMap() {
    std::string path = fs::Join(record_folder_, "id_map.csv");
    std::map<std::string, std::string> rows;
    DL_ASSIGN_OR_RETURN(rows, ReadIdMap(path));
    for (const auto& [a, b] : id_map_) rows[a] = b;
    std::string csv = "id_old,id_new\n";
    for (const auto& [a, b] : rows) csv += CsvField(a) + "," + CsvField(b) + "\n";
    DL_RETURN_IF_ERROR(fs::WriteFileAtomic(path, csv));
    summary_->id_map_path = path;
    summary_->id_map_rows = static_cast<int64_t>(rows.size());
    return Status::Ok();
  }

  void Summarise() {
    ExecutionSummary& es = run_.summary;
    es.status = summary_->failed > 0 ? "SucceededWithFailures" : "Succeeded";
    es.source_path = run_.lake.TablesPath("bronze");
    es.source_lakehouse = "bronze";
    es.target_path = research_.root();
    es.source_records = summary_->instances;
    es.target_records = summary_->written;
    es.target_files = summary_->written + (summary_->clinical_resources > 0 ? 1 : 0);
    std::string options;
    for (deid::Option o : request_.options.applied)
      options += (options.empty() ? "" : " ") + std::string(deid::InfoOf(o).name);
    es.attributes = {{"profile", std::string("PS3.15 Table E.1-1 ") + deid::Profile::kEdition},
                     {"options", options},
                     {"patients", std::to_string(summary_->patients)},
                     {"clinicalResources", std::to_string(summary_->clinical_resources)},
                     {"redactedBoxes", std::to_string(summary_->redacted_boxes)},
                     {"failedFiles", std::to_string(summary_->failed)}};
  }

 private:
  const std::string record_folder_;
  StageRun& run_;
  const DeidRequest& request_;
  const deid::Key& key_;
  const lake::Lake& research_;
  lake::Engine& research_engine_;
  DeidSummary* summary_;
  deid::DeidSettings settings_;
  std::map<std::string, std::string> id_map_;    // old -> new
  std::map<std::string, std::string> patients_;  // PatientID -> pseudonym
};

}  // namespace

std::string ResearchRecordFolder(const lake::Lake& lake, const std::string& research_root) {
  std::string canonical = Canonical(research_root);
  std::string base = canonical.substr(canonical.find_last_of('/') + 1);
  std::string name;
  for (char c : base)
    name.push_back(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' ? c : '_');
  std::string digest = Sha256Hex(canonical).substr(0, 8);
  return fs::Join(lake.FilesPath("admin"), "Deid/" + name + "-" + digest);
}

lake::Schema PixelRedactionsSchema() {
  return lake::Schema{{
      lake::StringField("sopInstanceUid", false),  // the research instance
      lake::StringField("seriesInstanceUid"),
      lake::IntField("frameNumber"),  // 1-based
      lake::IntField("x"),            // pixels from the left
      lake::IntField("y"),            // pixels from the top
      lake::IntField("width"),
      lake::IntField("height"),
      lake::IntField("confidence"),  // the OCR's, 0..100
      lake::IntField("characters"),  // letters and digits read (the text is not kept)
      lake::StringField("runId"),
      lake::TimestampField("createdDatetime"),
  }};
}

Result<std::map<std::string, std::string>> ReadIdMap(const std::string& path) {
  std::map<std::string, std::string> pairs;
  if (!fs::Exists(path)) return pairs;
  DL_ASSIGN_OR_RETURN(std::string text, fs::ReadFile(path));
  auto records = ParseCsv(text);
  for (size_t i = 1; i < records.size(); ++i) {  // after the header
    if (records[i].size() == 2 && !records[i][0].empty()) pairs[records[i][0]] = records[i][1];
  }
  return pairs;
}

Result<DeidSummary> RunDeid(const lake::Lake& lake, lake::Engine& engine,
                            const config::Config& config, const DeidRequest& request) {
  if (request.empty()) {
    return InvalidArgument("no cohort: give --sql, --study, --series or --patient");
  }
  if (request.to.empty()) return InvalidArgument("no research lake: give --to");
  if (request.key_file.empty()) return InvalidArgument("no key: give --key-file");
  if (!ValidNamespace(request.research_namespace)) {
    return InvalidArgument("the namespace \"" + request.research_namespace +
                           "\" may hold only letters, digits, '.', '-' and '_'");
  }
  DL_RETURN_IF_ERROR(request.options.Validate());
  const auto& shift = config.settings().deid;
  if (shift.date_shift_min_days > shift.date_shift_max_days ||
      (shift.date_shift_min_days == 0 && shift.date_shift_max_days == 0)) {
    return InvalidArgument(fmt::format(
        "deid.date_shift_min_days ({}) .. deid.date_shift_max_days ({}) holds no day but 0",
        shift.date_shift_min_days, shift.date_shift_max_days));
  }
  DL_RETURN_IF_ERROR(CheckPlaces(lake.root(), request.to, request.key_file));
  // The cohort first: a run with nothing to de-identify creates no key and no research lake.
  std::vector<std::string> warnings;
  DL_RETURN_IF_ERROR(lake.RegisterViews(engine, &warnings));
  DL_ASSIGN_OR_RETURN(std::vector<CohortSeries> cohort, SelectCohort(lake, engine, request));
  if (cohort.empty()) return NotFound("the cohort holds no instance in bronze.ImagingDicom");
  bool key_created = false;
  DL_ASSIGN_OR_RETURN(deid::Key key, deid::Key::LoadOrCreate(request.key_file, &key_created));

  // The research lake: created when new, with its own configuration and engine.
  lake::Lake research(fs::Absolute(request.to));
  lake::EngineOptions engine_options;
  engine_options.threads = config.settings().global.threads;
  engine_options.memory_limit = config.settings().global.memory_limit;
  DL_ASSIGN_OR_RETURN(std::unique_ptr<lake::Engine> research_engine,
                      lake::Engine::Open(engine_options));
  if (!research.Exists()) DL_RETURN_IF_ERROR(InitLake(research, *research_engine).status());
  DL_ASSIGN_OR_RETURN(config::Config research_config, config::Config::Load(research.root()));
  research.set_table_options(TableOptionsFrom(research_config));

  static const StageSpec kDeid{"deid", kDeidActivity, "admin"};
  std::string record_folder = ResearchRecordFolder(lake, research.root());
  DL_RETURN_IF_ERROR(fs::MakeDirs(record_folder));
  DL_ASSIGN_OR_RETURN(
      DeidSummary summary,
      RunStageFor<DeidSummary>(kDeid, lake, engine, config, [&](StageRun& run, DeidSummary* s) {
        DeidRun work(run, request, key, research, *research_engine, record_folder, s);
        return work.Run(cohort, research_config);
      }));
  summary.research_lake = research.root();
  summary.key_file = fs::Absolute(request.key_file);
  summary.key_created = key_created;

  auto pipeline = RunAll(research, *research_engine, research_config, request.research_pipeline);
  if (!pipeline.ok()) {
    return Status(pipeline.status().code(),
                  "the research lake's pipeline: " + pipeline.status().message() +
                      " (the de-identified files wait in its Ingest zone; `dicomlake run " +
                      research.root() + "` goes on)");
  }
  summary.research = std::move(*pipeline);

  // Access kept apart: the research lake for its group, the id map for the identified side.
  DL_RETURN_IF_ERROR(ShareWithGroup(research.root(), config.settings().deid.research_group));
  const std::string& identified_group = config.settings().deid.identified_group;
  DL_RETURN_IF_ERROR(ShareWithGroup(
      identified_group.empty() ? fs::Join(lake.FilesPath("admin"), "Deid") : lake.root(),
      identified_group));
  return summary;
}

}  // namespace dicomlake::pipeline
