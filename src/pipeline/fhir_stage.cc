#include "pipeline/fhir_stage.h"

#include <map>
#include <nlohmann/json.hpp>

#include "bronze/changed_studies.h"
#include "common/fs.h"
#include "common/parallel.h"
#include "common/time_util.h"
#include "config/config.h"
#include "fhir/imaging_study.h"
#include "fhir/ndjson.h"
#include "lake/changes.h"
#include "lake/delta_table.h"
#include "lake/engine.h"
#include "lake/lake.h"
#include "pipeline/admin_tables.h"
#include "pipeline/stage_runner.h"
#include "pipeline/stage_support.h"
#include "silver/patient_link.h"

namespace dicomlake::pipeline {
namespace {

// Studies mapped per round: bounds memory to this many studies' DICOM JSON at a time.
constexpr int64_t kStudiesPerRound = 256;

// Per-namespace NDJSON output, flushed in files of at most max_records lines.
class NdjsonOutput {
 public:
  NdjsonOutput(std::string root, int64_t max_records, int64_t now_us)
      : root_(std::move(root)), max_records_(max_records), now_us_(now_us) {}

  Status Add(const std::string& namespace_name, std::string line) {
    auto& lines = pending_[namespace_name];
    lines.push_back(std::move(line));
    if (static_cast<int64_t>(lines.size()) >= max_records_) return Flush(namespace_name);
    return Status::Ok();
  }
  Status FlushAll() {
    for (auto& [ns, lines] : pending_) DL_RETURN_IF_ERROR(Flush(ns));
    return Status::Ok();
  }
  const std::vector<std::string>& files() const { return files_; }

 private:
  Status Flush(const std::string& ns) {
    auto& lines = pending_[ns];
    if (lines.empty()) return Status::Ok();
    int64_t y = 0;
    unsigned m = 0, d = 0;
    CivilFromDays(now_us_ / 86400000000LL, &y, &m, &d);
    char date[32];
    std::snprintf(date, sizeof date, "%04lld/%02u/%02u", static_cast<long long>(y), m, d);
    std::string folder = fs::Join(fs::Join(root_, ns), date);
    // Distinct names for the files of one run: the run's time plus a sequence number.
    DL_ASSIGN_OR_RETURN(auto written,
                        fhir::WriteNdjsonFiles(folder, "ImagingStudy", lines, max_records_,
                                               now_us_ + static_cast<int64_t>(files_.size())));
    files_.insert(files_.end(), written.begin(), written.end());
    lines.clear();
    return Status::Ok();
  }

  std::string root_;
  int64_t max_records_;
  int64_t now_us_;
  std::map<std::string, std::vector<std::string>> pending_;
  std::vector<std::string> files_;
};

}  // namespace

std::string FhirSummary::ToJson() const {
  nlohmann::ordered_json j;
  j["runId"] = run_id;
  j["bronzeVersion"] = bronze_version;
  j["instancesRead"] = instances_read;
  j["studiesWritten"] = studies_written;
  j["studiesLinkedToPatient"] = studies_linked;
  j["problems"] = problems;
  j["files"] = files;
  j["elapsedSeconds"] = elapsed_seconds;
  return j.dump(2);
}

namespace {

// Groups the instances of a round (ordered by study) into the mapper's inputs.
std::vector<fhir::StudyInput> StudyInputs(std::vector<bronze::StudyInstance> instances) {
  std::vector<fhir::StudyInput> inputs;
  int64_t current = -1;
  for (auto& i : instances) {
    if (i.study_no != current) {
      current = i.study_no;
      inputs.emplace_back();
      inputs.back().namespace_name = i.namespace_name;
      inputs.back().group_key = i.group_key;
      inputs.back().study_uid = i.study_uid;
    }
    fhir::InstanceInput in;
    in.source_modified_us = i.source_modified_us;
    in.created_us = i.created_us;
    in.file_path = std::move(i.file_path);
    in.metadata_json = std::move(i.metadata_json);
    in.deleted = i.deleted;
    in.operated_us = i.operated_us;
    inputs.back().instances.push_back(std::move(in));
  }
  return inputs;
}

// Maps one round of studies (in parallel), links their subjects to silver Patients, records the
// mapping's issues and adds the resources to the NDJSON output.
Status MapRound(StageRun& run, const std::vector<fhir::StudyInput>& inputs,
                const fhir::MappingOptions& mapping, NdjsonOutput* output, FhirSummary* summary) {
  std::vector<fhir::MappedStudy> mapped(inputs.size());
  DL_RETURN_IF_ERROR(
      ParallelFor(inputs.size(), run.config.settings().global.threads,
                  [&](size_t i) { mapped[i] = fhir::MapStudy(inputs[i], mapping); }));
  std::vector<silver::IdentifierKey> keys;
  for (const auto& m : mapped)
    if (!m.subject_value.empty()) keys.emplace_back(m.subject_system, m.subject_value);
  DL_ASSIGN_OR_RETURN(auto patients, silver::FindPatients(run.lake, run.engine, keys));
  for (size_t i = 0; i < mapped.size(); ++i) {
    auto& m = mapped[i];
    auto hit = patients.find({m.subject_system, m.subject_value});
    if (!m.subject_value.empty() && hit != patients.end() && !hit->second.id_orig.empty()) {
      fhir::LinkSubject(&m.resource, hit->second.id_orig);
      summary->studies_linked++;
    }
    const std::string& record =
        inputs[i].study_uid.empty() ? inputs[i].group_key : inputs[i].study_uid;
    for (const auto& issue : m.issues)
      run.AddEvent(issue.severity, record, "ImagingStudy", issue.message);
    DL_RETURN_IF_ERROR(output->Add(inputs[i].namespace_name, m.resource.dump()));
    summary->studies_written++;
  }
  return Status::Ok();
}

// The instances `dicomlake purge` removed from bronze, as silver.ImagingMetastore holds them
// (ChangedStudies::Stage's `purged`); "" when nothing was purged.
Result<std::string> PurgedInstancesFromSilver(const lake::Lake& lake, lake::Engine& engine) {
  lake::DeltaTable purged = lake.OpenTable(lake::table::kPurgedInstances);
  lake::DeltaTable meta = lake.OpenTable(lake::table::kImagingMetastore);
  if (!purged.Exists() || !meta.Exists()) return std::string();
  DL_ASSIGN_OR_RETURN(lake::Snapshot purged_snap, purged.Load(engine));
  DL_ASSIGN_OR_RETURN(lake::Snapshot meta_snap, meta.Load(engine));
  if (purged_snap.files.empty() || meta_snap.files.empty()) return std::string();
  DL_ASSIGN_OR_RETURN(std::string purged_scan, purged.ScanSql(purged_snap));
  DL_ASSIGN_OR_RETURN(std::string meta_scan, meta.ScanSql(meta_snap));
  return "(SELECT m.msftSourceSystem AS sourceSystem, m.studyInstanceUid, m.seriesInstanceUid, "
         "m.sopInstanceUid, "
         "m.sourceModifiedAt, m.msftCreatedDatetime AS createdDatetime, m.filePath, "
         "m.metadata_string FROM (" +
         meta_scan + ") m SEMI JOIN (" + purged_scan +
         ") p ON p.sourceSystem = m.msftSourceSystem AND p.sopInstanceUid = m.sopInstanceUid)";
}

// The work of the fhir stage: every study with an instance added to bronze since the version the
// last run consumed, mapped whole and written as NDJSON.
Status MapChangedStudies(StageRun& run, const FhirOptions& options, FhirSummary* out) {
  const lake::Lake& lake = run.lake;
  const auto& settings = run.config.settings();
  FhirSummary& summary = *out;

  lake::DeltaTable bronze = lake.OpenTable(lake::table::kImagingDicom);
  run.record_summary = false;
  if (!bronze.Exists()) return Status::Ok();  // nothing ingested yet
  DL_ASSIGN_OR_RETURN(lake::Snapshot snap, bronze.Load(run.engine));
  summary.bronze_version = snap.version;
  int64_t since = -1;
  if (!options.rebuild) {
    DL_ASSIGN_OR_RETURN(since,
                        LastRecordedVersion(lake, run.engine, kFhirActivity, "bronzeVersion"));
  }
  if (since >= snap.version) return Status::Ok();  // nothing new
  run.record_summary = true;
  DL_ASSIGN_OR_RETURN(auto added, lake::FilesAddedSince(bronze, run.engine, snap, since));

  std::string ndjson_root = fs::Join(lake.FilesPath("bronze"), "Process/Clinical/FHIR-NDJSON");
  NdjsonOutput output(ndjson_root, settings.fhir.max_records_per_ndjson, run.started_us());
  fhir::MappingOptions mapping;
  mapping.default_timezone = settings.fhir.default_timezone;
  mapping.patient_identifier_system = settings.fhir.patient_identifier_system;
  bronze::ChangedStudies changed(run.engine);
  DL_ASSIGN_OR_RETURN(std::string purged, PurgedInstancesFromSilver(lake, run.engine));
  DL_RETURN_IF_ERROR(changed.Stage(bronze, snap, added, options.only_namespace, purged));
  summary.instances_read = changed.instances();
  for (int64_t first = 0; first < changed.studies(); first += kStudiesPerRound) {
    DL_ASSIGN_OR_RETURN(auto instances, changed.Read(first, kStudiesPerRound));
    DL_RETURN_IF_ERROR(
        MapRound(run, StudyInputs(std::move(instances)), mapping, &output, &summary));
  }
  DL_RETURN_IF_ERROR(output.FlushAll());
  summary.files = output.files();
  summary.problems = run.event_count();

  ExecutionSummary& es = run.summary;
  es.target_path = ndjson_root;
  es.target_lakehouse = "bronze";
  es.source_path = bronze.root();
  es.source_lakehouse = "bronze";
  es.target_records = summary.studies_written;
  es.target_files = static_cast<int64_t>(summary.files.size());
  es.source_records = summary.instances_read;
  es.target_granular = {{"ImagingStudy", summary.studies_written}};
  // A namespace-restricted run does not consume the version for the other namespaces.
  es.attributes = {{"totalImagingStudyRecords", std::to_string(summary.studies_written)},
                   {"linkedToPatient", std::to_string(summary.studies_linked)},
                   {"problemCount", std::to_string(summary.problems)}};
  if (options.only_namespace.empty())
    es.attributes.push_back({"bronzeVersion", std::to_string(snap.version)});
  return Status::Ok();
}

}  // namespace

Result<FhirSummary> RunFhir(const lake::Lake& lake, lake::Engine& engine,
                            const config::Config& config, const FhirOptions& options) {
  static const StageSpec kFhir{"fhir", kFhirActivity, "bronze"};
  return RunStageFor<FhirSummary>(kFhir, lake, engine, config,
                                  [&](StageRun& run, FhirSummary* summary) {
                                    return MapChangedStudies(run, options, summary);
                                  });
}

}  // namespace dicomlake::pipeline
