// What every stage's interface shares: the objects a stage runs on, and the fields every run
// summary has. Each stage header (ingest_stage.h, fhir_stage.h, ...) declares its options, its
// summary (a StageSummary) and its Run<Stage>() function.
#pragma once

#include <string>

#include "common/status.h"

namespace dicomlake::config {
class Config;
}
namespace dicomlake::lake {
class Engine;
class Lake;
}  // namespace dicomlake::lake

namespace dicomlake::pipeline {

struct StageSummary {
  std::string run_id;          // the run's id in admin.ExecutionSummary and BusinessEvents
  double elapsed_seconds = 0;  // the run's duration
};

}  // namespace dicomlake::pipeline
