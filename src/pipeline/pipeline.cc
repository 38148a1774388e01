#include "pipeline/pipeline.h"

namespace dicomlake::pipeline {

const std::vector<Stage>& AllStages() {
  static const std::vector<Stage> kStages{Stage::kIngest, Stage::kFhir, Stage::kSilver,
                                          Stage::kGold};
  return kStages;
}

const char* StageName(Stage stage) {
  switch (stage) {
    case Stage::kIngest:
      return "ingest";
    case Stage::kFhir:
      return "fhir";
    case Stage::kSilver:
      return "silver";
    case Stage::kGold:
      return "gold";
  }
  return "?";
}

std::vector<IngestFailure> PipelineSummary::Failures() const {
  std::vector<IngestFailure> out = ingest.failures;
  for (const auto& f : silver.failures) out.push_back({f.path, f.reason});
  return out;
}

int64_t PipelineSummary::Problems() const { return fhir.problems + gold.skipped; }

std::string PipelineSummary::Describe(Stage stage) const {
  auto n = [](int64_t v) { return std::to_string(v); };
  switch (stage) {
    case Stage::kIngest:
      return n(ingest.instances_added) + " instances added, " + n(ingest.failed) + " failed";
    case Stage::kFhir:
      return n(fhir.studies_written) + " ImagingStudy resources";
    case Stage::kSilver:
      return n(silver.imaging_studies) + " studies, " + n(silver.patients) + " patients, " +
             n(silver.metastore_rows) + " instances";
    case Stage::kGold:
      return n(gold.persons) + " person, " + n(gold.procedures) + " procedure, " + n(gold.images) +
             " image rows written";
  }
  return "";
}

double PipelineSummary::Seconds(Stage stage) const {
  switch (stage) {
    case Stage::kIngest:
      return ingest.elapsed_seconds;
    case Stage::kFhir:
      return fhir.elapsed_seconds;
    case Stage::kSilver:
      return silver.elapsed_seconds;
    case Stage::kGold:
      return gold.elapsed_seconds;
  }
  return 0;
}

namespace {

Status RunOne(Stage stage, const lake::Lake& lake, lake::Engine& engine,
              const config::Config& config, const PipelineOptions& options, PipelineSummary* out) {
  switch (stage) {
    case Stage::kIngest: {
      DL_ASSIGN_OR_RETURN(out->ingest, RunIngest(lake, engine, config, options.ingest));
      return Status::Ok();
    }
    case Stage::kFhir: {
      DL_ASSIGN_OR_RETURN(out->fhir, RunFhir(lake, engine, config, {}));
      return Status::Ok();
    }
    case Stage::kSilver: {
      DL_ASSIGN_OR_RETURN(out->silver, RunSilver(lake, engine, config));
      return Status::Ok();
    }
    case Stage::kGold: {
      DL_ASSIGN_OR_RETURN(out->gold, RunGold(lake, engine, config));
      return Status::Ok();
    }
  }
  return Internal("unknown stage");
}

}  // namespace

Result<PipelineSummary> RunAll(const lake::Lake& lake, lake::Engine& engine,
                               const config::Config& config, const PipelineOptions& options) {
  PipelineSummary summary;
  for (Stage stage : AllStages()) {
    if (options.stage_started) options.stage_started(stage);
    Status st = RunOne(stage, lake, engine, config, options, &summary);
    if (!st.ok()) return st.WithContext(StageName(stage));
    if (options.stage_finished) options.stage_finished(stage, summary);
  }
  return summary;
}

}  // namespace dicomlake::pipeline
