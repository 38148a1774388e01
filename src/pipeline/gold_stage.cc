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
  j["rowsRemoved"] = removed;
  j["athenaOverrides"] = athena_overrides;
  j["elapsedSeconds"] = elapsed_seconds;
  return j.dump(2);
}

namespace {

// The work of the gold stage: omop::UpdateGold, its skipped records as BusinessEvents.
Status MapToGold(StageRun& run, GoldSummary* summary) {
  omop::GoldOptions options;
  options.dicomweb_base_url = run.config.settings().gold.dicomweb_base_url;
  options.athena_vocabulary_path = run.config.settings().gold.athena_vocabulary_path;
  options.now_us = run.started_us();
  auto skip = [&run](const std::string& table, const std::string& record,
                     const std::string& reason) { run.AddEvent("Warning", record, table, reason); };
  DL_ASSIGN_OR_RETURN(omop::GoldCounts counts,
                      omop::UpdateGold(run.lake, run.engine, options, skip));
  static_cast<omop::GoldCounts&>(*summary) = counts;
  ExecutionSummary& es = run.summary;
  es.target_path = run.lake.TablesPath("gold");
  es.target_lakehouse = "gold";
  es.source_path = run.lake.TablesPath("silver");
  es.source_lakehouse = "silver";
  es.target_records = counts.persons + counts.procedures + counts.images;
  es.source_records = counts.studies_read + counts.patients_read;
  es.target_granular = {{"person", counts.persons},
                        {"procedure_occurrence", counts.procedures},
                        {"image_occurrence", counts.images}};
  es.attributes = {{"skippedCount", std::to_string(counts.skipped)},
                   {"removedCount", std::to_string(counts.removed)},
                   {"athenaOverrides", std::to_string(counts.athena_overrides)}};
  return Status::Ok();
}

}  // namespace

Result<GoldSummary> RunGold(const lake::Lake& lake, lake::Engine& engine,
                            const config::Config& config) {
  static const StageSpec kGold{"gold", kGoldActivity, "gold"};
  return RunStageFor<GoldSummary>(kGold, lake, engine, config, MapToGold);
}

}  // namespace dicomlake::pipeline
