// The cohort options the exits share (export, deid, restore): --sql, --study, --series,
// --patient, filling a pipeline::CohortRequest (pipeline/cohort.h).
#pragma once

#include <CLI/CLI.hpp>

#include "pipeline/cohort.h"

namespace dicomlake::cli {

void AddCohortOptions(CLI::App* cmd, pipeline::CohortRequest* request);

}  // namespace dicomlake::cli
