// What the stages after ingest share: a lock per stage, the source versions a stage consumed,
// the files a Delta table gained since a version, and recording events and run summaries.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <memory>

#include "common/env.h"
#include "common/status.h"
#include "lake/delta_log.h"
#include "lake/value.h"
#include "pipeline/admin_tables.h"

namespace dicomlake::lake {
class Engine;
class Lake;
class DeltaTable;
}  // namespace dicomlake::lake

namespace dicomlake::pipeline {

// An exclusive flock(2) on a lock file, held for the object's life: one run of a stage at a
// time per lake. A second run fails at once with kConflict naming `command`.
class StageLock {
 public:
  Status Acquire(const std::string& path, const std::string& command);

 private:
  std::unique_ptr<FileLock> lock_;
};

// The greatest `attribute` (an integer in activityAttributes) over the ExecutionSummary rows of
// `activity`; -1 when there is none.
Result<int64_t> LastRecordedVersion(const lake::Lake& lake, lake::Engine& engine,
                                    const std::string& activity, const std::string& attribute);

// Appends rows to admin BusinessEvents / ExecutionSummary.
Status AppendEvents(const lake::Lake& lake, lake::Engine& engine,
                    const std::vector<lake::Row>& rows);
Status AppendSummary(const lake::Lake& lake, lake::Engine& engine, const ExecutionSummary& s,
                     int64_t started_us);

}  // namespace dicomlake::pipeline
