#include "pipeline/stage_runner.h"

#include <chrono>

#include "common/fs.h"
#include "common/time_util.h"
#include "common/uuid.h"
#include "config/config.h"
#include "lake/lake.h"
#include "pipeline/stage_support.h"

namespace dicomlake::pipeline {
namespace {

int64_t SteadyNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

StageRun::StageRun(const StageSpec& spec, const lake::Lake& lake_, lake::Engine& engine_,
                   const config::Config& config_)
    : lake(lake_.root(), TableOptionsFrom(config_)),
      engine(engine_),
      config(config_),
      spec_(spec),
      run_id_(NewUuid()),
      started_us_(NowMicros()),
      started_steady_ns_(SteadyNanos()) {
  summary.status = "Succeeded";
}

double StageRun::ElapsedSeconds() const {
  return static_cast<double>(SteadyNanos() - started_steady_ns_) / 1e9;
}

void StageRun::AddEvent(const std::string& severity, const std::string& record,
                        const std::string& target_table, const std::string& message) {
  BusinessEvent e;
  e.severity = severity;
  e.record_identifier = record;
  e.target_table_name = target_table;
  e.message = message;
  AddEvent(std::move(e));
}

void StageRun::AddEvent(BusinessEvent e) {
  if (e.activity_name.empty()) e.activity_name = spec_.activity;
  if (e.event_type.empty()) e.event_type = std::string("stage:") + spec_.command;
  if (e.run_id.empty()) e.run_id = run_id_;
  events_.push_back(BusinessEventRow(e, NowMicros()));
}

lake::TableOptions TableOptionsFrom(const config::Config& config) {
  lake::TableOptions options;
  options.checkpoint_interval = config.settings().delta.checkpoint_interval;
  options.tombstone_retention_ms =
      static_cast<int64_t>(config.settings().delta.tombstone_retention_hours * 3600.0 * 1000.0);
  return options;
}

Result<double> RunStage(const StageSpec& spec, const lake::Lake& lake, lake::Engine& engine,
                        const config::Config& config, const std::function<Status(StageRun&)>& work,
                        std::string* run_id) {
  StageLock lock;
  DL_RETURN_IF_ERROR(lock.Acquire(
      fs::Join(lake.FilesPath(spec.lakehouse), std::string(".") + spec.command + ".lock"),
      spec.command));
  StageRun run(spec, lake, engine, config);
  *run_id = run.run_id();
  // A lake whose log tables are gone (deleted, or a backup killed before it copied them) gets
  // them anew: every stage records itself there.
  for (const auto& id : {lake::table::kBusinessEvents, lake::table::kExecutionSummary})
    DL_RETURN_IF_ERROR(CreateAdminTable(run.lake, engine, id, true).status());
  DL_RETURN_IF_ERROR(work(run));
  DL_RETURN_IF_ERROR(AppendEvents(run.lake, engine, run.events_));
  double elapsed = run.ElapsedSeconds();
  if (run.record_summary) {
    ExecutionSummary& es = run.summary;
    es.activity_name = spec.activity;
    es.run_id = run.run_id();
    es.pipeline_name = std::string("dicomlake ") + spec.command;
    es.elapsed_seconds = elapsed;
    DL_RETURN_IF_ERROR(AppendSummary(run.lake, engine, es, run.started_us()));
  }
  return elapsed;
}

}  // namespace dicomlake::pipeline
