#include "pipeline/stage_support.h"

#include "common/fs.h"
#include "common/time_util.h"
#include "lake/changes.h"
#include "lake/delta_table.h"
#include "lake/engine.h"
#include "lake/lake.h"

namespace dicomlake::pipeline {

Status StageLock::Acquire(const std::string& path, const std::string& command) {
  DL_RETURN_IF_ERROR(fs::MakeDirs(path.substr(0, path.rfind('/'))));
  auto lock = CurrentEnv()->LockFile(path);
  if (!lock.ok() && lock.status().code() == StatusCode::kConflict)
    return Conflict("another `dicomlake " + command + "` is running on this lake (lock " + path +
                    ")");
  DL_ASSIGN_OR_RETURN(lock_, std::move(lock));
  return Status::Ok();
}

Result<int64_t> LastRecordedVersion(const lake::Lake& lake, lake::Engine& engine,
                                    const std::string& activity, const std::string& attribute) {
  lake::DeltaTable runs = lake.OpenTable(lake::table::kExecutionSummary);
  return lake::MaxMapAttribute(runs, engine, "activityAttributes", attribute, "activityName",
                               activity);
}

Status AppendEvents(const lake::Lake& lake, lake::Engine& engine,
                    const std::vector<lake::Row>& rows) {
  if (rows.empty()) return Status::Ok();
  lake::DeltaTable events = lake.OpenTable(lake::table::kBusinessEvents);
  return events.AppendRows(engine, rows).status();
}

Status AppendSummary(const lake::Lake& lake, lake::Engine& engine, const ExecutionSummary& s,
                     int64_t started_us) {
  lake::DeltaTable runs = lake.OpenTable(lake::table::kExecutionSummary);
  return runs.AppendRows(engine, {ExecutionSummaryRow(s, started_us, NowMicros())}).status();
}

}  // namespace dicomlake::pipeline
