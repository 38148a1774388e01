// The stage runner: what every run of a stage shares, in one place. A stage implements only its
// work; RunStage takes the stage's lock, gives the run an id and a clock, and afterwards records
// the BusinessEvents the work collected and one ExecutionSummary row.
//
// Add a stage: a StageSpec constant, a function `Status Work(StageRun&)` that fills
// run.summary (counts, paths, attributes) and calls run.AddEvent for each problem, and a
// Run<Stage>() that calls RunStage with them (see gold_stage.cc). Add it to RunAll
// (pipeline.h) when `dicomlake run` should run it.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "common/status.h"
#include "lake/lake.h"
#include "lake/value.h"
#include "pipeline/admin_tables.h"

namespace dicomlake::config {
class Config;
}

namespace dicomlake::pipeline {

// What identifies a stage.
struct StageSpec {
  const char* command;    // "gold": `dicomlake gold`, its lock `.gold.lock`, events "stage:gold"
  const char* activity;   // activityName in the admin tables, e.g. "omop_gold_transformation"
  const char* lakehouse;  // whose Files/ folder holds the lock (stages writing one place hold it)
};

// One run of a stage, given to its work. Not thread-safe (AddEvent from one thread).
class StageRun {
 public:
  StageRun(const StageSpec& spec, const lake::Lake& lake, lake::Engine& engine,
           const config::Config& config);

  // The lake, its tables opened with the options of `config` (whatever the caller's Lake had).
  const lake::Lake lake;
  lake::Engine& engine;
  const config::Config& config;

  const std::string& run_id() const { return run_id_; }
  int64_t started_us() const { return started_us_; }  // the run's clock (UTC microseconds)
  // Seconds since the run started.
  double ElapsedSeconds() const;

  // Records a BusinessEvents row of this stage (written when the work succeeds).
  void AddEvent(const std::string& severity, const std::string& record,
                const std::string& target_table, const std::string& message);
  // Records a prepared event; activity, event type and run id are filled in when empty.
  void AddEvent(BusinessEvent event);
  int64_t event_count() const { return static_cast<int64_t>(events_.size()); }

  // The ExecutionSummary row the work fills: counts, paths, status ("Succeeded" unless the work
  // sets "SucceededWithFailures"), attributes. Activity, run id, pipeline name and elapsed time
  // are set by the runner.
  ExecutionSummary summary;
  // False when the work found nothing to do and the run is not worth a row (so that a run with
  // nothing new changes no table).
  bool record_summary = true;

 private:
  friend Result<double> RunStage(const StageSpec&, const lake::Lake&, lake::Engine&,
                                 const config::Config&, const std::function<Status(StageRun&)>&,
                                 std::string*);
  const StageSpec& spec_;
  std::string run_id_;
  int64_t started_us_;
  int64_t started_steady_ns_;
  std::vector<lake::Row> events_;
};

// The table options the configuration asks for (delta.checkpoint_interval, tombstone
// retention), for lake::Lake.
lake::TableOptions TableOptionsFrom(const config::Config& config);

// Runs `work` as one run of the stage `spec`: fails with kConflict when another run of the stage
// holds its lock; on success appends the events and the ExecutionSummary row and returns the
// run's elapsed seconds (and its id in `*run_id`). When `work` fails, nothing is recorded and
// its error is returned.
Result<double> RunStage(const StageSpec& spec, const lake::Lake& lake, lake::Engine& engine,
                        const config::Config& config, const std::function<Status(StageRun&)>& work,
                        std::string* run_id);

// RunStage for a stage whose work fills a summary of type `Summary` (a StageSummary): the run id
// and elapsed time are filled in, the summary returned.
template <typename Summary>
Result<Summary> RunStageFor(const StageSpec& spec, const lake::Lake& lake, lake::Engine& engine,
                            const config::Config& config,
                            const std::function<Status(StageRun&, Summary*)>& work) {
  Summary summary;
  Result<double> elapsed = RunStage(
      spec, lake, engine, config, [&](StageRun& run) { return work(run, &summary); },
      &summary.run_id);
  if (!elapsed.ok()) return elapsed.status();
  summary.elapsed_seconds = *elapsed;
  return summary;
}

}  // namespace dicomlake::pipeline
