#include "pipeline/fhir_stage.h"

#include <chrono>
#include <map>
#include <nlohmann/json.hpp>

#include "common/fs.h"
#include "common/parallel.h"
#include "common/time_util.h"
#include "common/uuid.h"
#include "config/config.h"
#include "fhir/imaging_study.h"
#include "fhir/ndjson.h"
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

// The bronze grouping key of a row: its StudyInstanceUID, or, for an instance without one, the
// instance itself (so unrelated UID-less files never merge into one study).
constexpr const char* kGroupKeySql =
    "coalesce(nullif(trim(studyInstanceUid), ''), 'instance:' || contentHash)";

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

// The work of the fhir stage: every study with an instance added to bronze since the version the
// last run consumed, mapped whole and written as NDJSON.
Status MapChangedStudies(StageRun& run, const FhirOptions& options, FhirSummary* out) {
  const lake::Lake& lake = run.lake;
  lake::Engine& engine = run.engine;
  const auto& settings = run.config.settings();
  FhirSummary& summary = *out;
  int64_t started_us = run.started_us();

  lake::DeltaTable bronze = lake.OpenTable(lake::table::kImagingDicom);
  run.record_summary = false;
  if (!bronze.Exists()) return Status::Ok();  // nothing ingested yet
  DL_ASSIGN_OR_RETURN(lake::Snapshot snap, bronze.Load(engine));
  summary.bronze_version = snap.version;
  int64_t since = -1;
  if (!options.rebuild) {
    DL_ASSIGN_OR_RETURN(since, LastRecordedVersion(lake, engine, kFhirActivity, "bronzeVersion"));
  }
  if (since >= snap.version) return Status::Ok();  // nothing new
  run.record_summary = true;
  DL_ASSIGN_OR_RETURN(std::vector<std::string> added, FilesAddedSince(bronze, engine, snap, since));

  std::string ndjson_root = fs::Join(lake.FilesPath("bronze"), "Process/Clinical/FHIR-NDJSON");
  NdjsonOutput output(ndjson_root, settings.fhir.max_records_per_ndjson, started_us);
  fhir::MappingOptions mapping;
  mapping.default_timezone = settings.fhir.default_timezone;
  mapping.patient_identifier_system = settings.fhir.patient_identifier_system;

  if (!added.empty()) {
    std::string ns_filter =
        options.only_namespace.empty()
            ? ""
            : " WHERE sourceSystem = " + lake::QuoteLiteral(options.only_namespace);
    DL_ASSIGN_OR_RETURN(std::string scan, bronze.ScanSql(snap));
    // The affected studies, then the latest version of each of their instances, numbered by
    // study so that rounds can take a range of studies.
    DL_RETURN_IF_ERROR(engine.Execute(
        "CREATE OR REPLACE TEMP TABLE __dl_fhir_keys AS SELECT DISTINCT sourceSystem, " +
        std::string(kGroupKeySql) + " AS gkey FROM " + ParquetScan(added) + ns_filter));
    Status st = engine.Execute(
        "CREATE OR REPLACE TEMP TABLE __dl_fhir_rows AS SELECT dense_rank() OVER (ORDER BY "
        "b.sourceSystem, b.gkey) - 1 AS study_no, b.* FROM (SELECT sourceSystem, " +
        std::string(kGroupKeySql) +
        " AS gkey, nullif(trim(studyInstanceUid), '') AS study_uid, sourceModifiedAt, "
        "createdDatetime, filePath, metadata_string FROM (" +
        scan + ") WHERE operation IS NULL QUALIFY row_number() OVER (PARTITION BY sourceSystem, " +
        kGroupKeySql +
        ", coalesce(sopInstanceUid, contentHash) ORDER BY sourceModifiedAt DESC NULLS LAST, "
        "createdDatetime DESC) = 1) b SEMI JOIN __dl_fhir_keys k ON b.sourceSystem = "
        "k.sourceSystem AND b.gkey = k.gkey");
    (void)engine.Execute("DROP TABLE IF EXISTS __dl_fhir_keys");
    DL_RETURN_IF_ERROR(st.WithContext("bronze/ImagingDicom: reading the affected studies"));
    DL_ASSIGN_OR_RETURN(
        lake::QueryResult count,
        engine.Query("SELECT count(DISTINCT study_no), count(*) FROM __dl_fhir_rows"));
    int64_t studies = count.rows[0][0].i;
    summary.instances_read = count.rows[0][1].i;

    for (int64_t first = 0; first < studies; first += kStudiesPerRound) {
      DL_ASSIGN_OR_RETURN(
          lake::QueryResult rows,
          engine.Query("SELECT study_no, sourceSystem, gkey, study_uid, sourceModifiedAt, "
                       "createdDatetime, filePath, metadata_string FROM __dl_fhir_rows WHERE "
                       "study_no >= " +
                       std::to_string(first) + " AND study_no < " +
                       std::to_string(first + kStudiesPerRound) + " ORDER BY study_no"));
      std::vector<fhir::StudyInput> inputs;
      int64_t current = -1;
      for (auto& r : rows.rows) {
        if (r[0].i != current) {
          current = r[0].i;
          inputs.emplace_back();
          inputs.back().namespace_name = r[1].s;
          inputs.back().group_key = r[2].s;
          inputs.back().study_uid = r[3].is_null() ? "" : r[3].s;
        }
        fhir::InstanceInput in;
        in.source_modified_us = r[4].is_null() ? 0 : r[4].i;
        in.created_us = r[5].is_null() ? 0 : r[5].i;
        in.file_path = r[6].s;
        in.metadata_json = std::move(r[7].s);
        inputs.back().instances.push_back(std::move(in));
      }
      std::vector<fhir::MappedStudy> mapped(inputs.size());
      DL_RETURN_IF_ERROR(ParallelFor(inputs.size(), settings.global.threads, [&](size_t i) {
        mapped[i] = fhir::MapStudy(inputs[i], mapping);
      }));
      std::vector<silver::IdentifierKey> keys;
      for (const auto& m : mapped)
        if (!m.subject_value.empty()) keys.emplace_back(m.subject_system, m.subject_value);
      DL_ASSIGN_OR_RETURN(auto patients, silver::FindPatients(lake, engine, keys));
      for (size_t i = 0; i < mapped.size(); ++i) {
        auto& m = mapped[i];
        auto hit = patients.find({m.subject_system, m.subject_value});
        if (!m.subject_value.empty() && hit != patients.end() && !hit->second.id_orig.empty()) {
          fhir::LinkSubject(&m.resource, hit->second.id_orig);
          summary.studies_linked++;
        }
        for (const auto& issue : m.issues) {
          run.AddEvent(issue.severity,
                       inputs[i].study_uid.empty() ? inputs[i].group_key : inputs[i].study_uid,
                       "ImagingStudy", issue.message);
        }
        DL_RETURN_IF_ERROR(output.Add(inputs[i].namespace_name, m.resource.dump()));
        summary.studies_written++;
      }
    }
    (void)engine.Execute("DROP TABLE IF EXISTS __dl_fhir_rows");
    DL_RETURN_IF_ERROR(output.FlushAll());
  }
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
  FhirSummary summary;
  DL_ASSIGN_OR_RETURN(summary.elapsed_seconds,
                      RunStage(
                          kFhir, lake, engine, config,
                          [&](StageRun& run) { return MapChangedStudies(run, options, &summary); },
                          &summary.run_id));
  return summary;
}

}  // namespace dicomlake::pipeline
