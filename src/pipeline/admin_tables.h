// The admin lakehouse's tables (ARCHITECTURE section 1; column names after Fabric's, see
// reference/hds-imaging-facts.md section 6) and lake initialisation.
#pragma once

#include <string>

#include "common/status.h"
#include "lake/schema.h"

namespace dicomlake::lake {
class Engine;
class Lake;
}  // namespace dicomlake::lake

namespace dicomlake::pipeline {

// One row per failure or notable event (a file that is not DICOM, a study without UID, ...).
lake::Schema BusinessEventsSchema();
// One row per (run, activity) with counts and timings.
lake::Schema ExecutionSummarySchema();
// Every source file seen: path, size, mtime, hash, state.
lake::Schema FileManifestSchema();

struct InitReport {
  bool created_config = false;  // false when a configuration file was already there
  int tables_created = 0;       // tables that did not exist before
};

// Creates the lake folders, the default configuration file (unless one exists) and the admin
// tables. Idempotent: running it on an existing lake changes nothing that is there.
Result<InitReport> InitLake(const lake::Lake& lake, lake::Engine& engine);

}  // namespace dicomlake::pipeline
