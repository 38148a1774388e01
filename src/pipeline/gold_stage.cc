#include "pipeline/gold_stage.h"

#include <nlohmann/json.hpp>

#include "config/config.h"
#include "lake/lake.h"
#include "omop/gold_mapping.h"
#include "pipeline/stage_runner.h"

namespace dicomlake::pipeline {

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
    omop::GoldOptions options;
    options.dicomweb_base_url = run.config.settings().gold.dicomweb_base_url;
    options.athena_vocabulary_path = run.config.settings().gold.athena_vocabulary_path;
    options.now_us = run.started_us();
    auto skip = [&run](const std::string& table, const std::string& record,
                       const std::string& reason) {
      run.AddEvent("Warning", record, table, reason);
    };
    DL_ASSIGN_OR_RETURN(omop::GoldCounts counts,
                        omop::UpdateGold(run.lake, run.engine, options, skip));
    summary.studies_read = counts.studies_read;
    summary.patients_read = counts.patients_read;
    summary.persons = counts.persons;
    summary.procedures = counts.procedures;
    summary.images = counts.images;
    summary.skipped = counts.skipped;
    summary.athena_overrides = counts.athena_overrides;
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
