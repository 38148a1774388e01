// The whole pipeline (`dicomlake run`): the stages in their order, ingest -> fhir -> silver ->
// gold, each doing work only when its input changed. RunAll owns that order; the CLI only shows
// progress and prints the summary.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "common/status.h"
#include "pipeline/fhir_stage.h"
#include "pipeline/gold_stage.h"
#include "pipeline/ingest_stage.h"
#include "pipeline/silver_stage.h"

namespace dicomlake::pipeline {

enum class Stage { kIngest, kFhir, kSilver, kGold };

// "ingest", "fhir", "silver", "gold": the stage's command.
const char* StageName(Stage stage);

// What a whole run did: each stage's summary (the stages after a failed one are left empty).
struct PipelineSummary {
  IngestSummary ingest;
  FhirSummary fhir;
  SilverSummary silver;
  GoldSummary gold;

  // Input files that failed (ingest and silver), with their reasons.
  std::vector<IngestFailure> Failures() const;
  // Data problems noted (FHIR mapping issues, records gold left out).
  int64_t Problems() const;
  // One line of what a stage did, e.g. "7739 instances added, 1 failed".
  std::string Describe(Stage stage) const;
  double Seconds(Stage stage) const;
};

struct PipelineOptions {
  IngestOptions ingest;
  // Called before and after each stage (e.g. for a progress display); may be empty.
  std::function<void(Stage)> stage_started;
  std::function<void(Stage, const PipelineSummary&)> stage_finished;
};

// The stages in order. Fails with the first stage's error, prefixed with the stage's name; the
// stages before it have committed their work (each stage is exactly-once on its own).
Result<PipelineSummary> RunAll(const lake::Lake& lake, lake::Engine& engine,
                               const config::Config& config, const PipelineOptions& options);

// Every stage in the order RunAll runs them.
const std::vector<Stage>& AllStages();

}  // namespace dicomlake::pipeline
