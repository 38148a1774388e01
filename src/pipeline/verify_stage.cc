#include "pipeline/verify_stage.h"

#include <fmt/format.h>

#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>

#include "common/fs.h"
#include "common/hash.h"
#include "common/parallel.h"
#include "config/config.h"
#include "lake/delta_table.h"
#include "lake/engine.h"
#include "lake/lake.h"
#include "pipeline/admin_tables.h"
#include "pipeline/fixity.h"
#include "pipeline/frame_access.h"
#include "pipeline/stage_runner.h"
#include "scan/archive.h"

namespace dicomlake::pipeline {

std::string VerifySummary::ToJson() const {
  nlohmann::ordered_json j;
  j["runId"] = run_id;
  j["ok"] = ok();
  j["originalsChecked"] = originals_checked;
  j["missing"] = missing;
  j["corrupt"] = corrupt;
  j["changedInPlace"] = changed_in_place;
  j["tablesChecked"] = tables_checked;
  j["dataFilesChecked"] = data_files_checked;
  j["dataFilesMissing"] = data_files_missing;
  j["dataFilesWrongSize"] = data_files_wrong;
  j["bytesRead"] = bytes_read;
  j["problems"] = FixityProblemsJson(problems);
  j["elapsedSeconds"] = elapsed_seconds;
  return j.dump(2);
}

namespace {

Status CheckOriginals(StageRun& run, const VerifyRequest& request, VerifySummary* summary) {
  if (!RequireBronze(run.engine).ok()) return Status::Ok();  // nothing ingested yet
  // Every stored copy bronze references (all versions of every instance), chosen by a stable
  // hash of the SOP Instance UID when sampling.
  std::string sample;
  if (request.sample_percent < 100) {
    sample = fmt::format("hash(sopInstanceUid) % 10000 < {}",
                         static_cast<int64_t>(request.sample_percent * 100));
  }
  DL_ASSIGN_OR_RETURN(std::string instances, InstancesRelation(run.engine));
  DL_ASSIGN_OR_RETURN(std::vector<StoredOriginal> files,
                      ListStoredOriginals(run.engine, run.lake, instances, sample));
  const std::string kept_root = run.lake.root() + "/";
  std::vector<FixityOutcome> outcomes(files.size());
  std::mutex mutex;
  int64_t done = 0, total = static_cast<int64_t>(files.size());
  DL_RETURN_IF_ERROR(ParallelFor(files.size(), WorkerCount(request.threads), [&](size_t i) {
    const bool kept = files[i].path.rfind(kept_root, 0) == 0;
    outcomes[i] = CheckStoredOriginal(files[i], files[i].path, kept);
    std::lock_guard<std::mutex> lock(mutex);
    ++done;
    if (request.progress) request.progress(done, total);
  }));
  for (auto& o : outcomes) {
    summary->originals_checked += o.checked;
    summary->bytes_read += o.bytes;
    for (auto& p : o.problems) {
      if (p.state == "missing") ++summary->missing;
      if (p.state == "corrupt") ++summary->corrupt;
      if (p.state == "changed-in-place") ++summary->changed_in_place;
      summary->problems.push_back(std::move(p));
    }
  }
  return Status::Ok();
}

Status CheckTables(StageRun& run, VerifySummary* summary) {
  DL_ASSIGN_OR_RETURN(std::vector<lake::TableRef> tables, run.lake.DiscoverTables());
  for (const auto& t : tables) {
    lake::DeltaTable table = run.lake.OpenTable(t);
    DL_ASSIGN_OR_RETURN(lake::Snapshot snapshot, table.Load(run.engine));
    ++summary->tables_checked;
    for (const auto& [path, add] : snapshot.files) {
      ++summary->data_files_checked;
      const std::string full = fs::Join(t.root, path);
      auto info = fs::Stat(full);
      if (!info.ok()) {
        ++summary->data_files_missing;
        summary->problems.push_back(
            {"missing-data-file", full, "",
             fmt::format("{} version {} references it", t.display(), snapshot.version)});
      } else if (static_cast<int64_t>(info->size) != add.size) {
        ++summary->data_files_wrong;
        summary->problems.push_back(
            {"data-file-size", full, "",
             fmt::format("{} bytes, the log of {} records {}", info->size, t.display(), add.size)});
      }
    }
  }
  return Status::Ok();
}

Status Verify(StageRun& run, const VerifyRequest& request, VerifySummary* summary) {
  std::vector<std::string> warnings;
  DL_RETURN_IF_ERROR(run.lake.RegisterViews(run.engine, &warnings));
  DL_RETURN_IF_ERROR(CheckOriginals(run, request, summary));
  DL_RETURN_IF_ERROR(CheckTables(run, summary));
  RecordFixityProblems(run, summary->problems);
  ExecutionSummary& es = run.summary;
  es.status = summary->ok() ? "Succeeded" : "SucceededWithFailures";
  es.source_path = run.lake.root();
  es.source_records = summary->originals_checked;
  es.target_records = static_cast<int64_t>(summary->problems.size());
  es.attributes = {{"checked", std::to_string(summary->originals_checked)},
                   {"missing", std::to_string(summary->missing)},
                   {"corrupt", std::to_string(summary->corrupt)},
                   {"changedInPlace", std::to_string(summary->changed_in_place)},
                   {"dataFilesChecked", std::to_string(summary->data_files_checked)},
                   {"dataFilesMissing", std::to_string(summary->data_files_missing)},
                   {"dataFilesWrongSize", std::to_string(summary->data_files_wrong)},
                   {"samplePercent", fmt::format("{}", request.sample_percent)}};
  return Status::Ok();
}

}  // namespace

Result<VerifySummary> RunVerify(const lake::Lake& lake, lake::Engine& engine,
                                const config::Config& config, const VerifyRequest& request) {
  if (!(request.sample_percent > 0 && request.sample_percent <= 100)) {
    return InvalidArgument("--sample must be a percentage above 0 and at most 100");
  }
  static const StageSpec kVerify{"verify", kVerifyActivity, "admin"};
  return RunStageFor<VerifySummary>(
      kVerify, lake, engine, config,
      [&request](StageRun& run, VerifySummary* summary) { return Verify(run, request, summary); });
}

}  // namespace dicomlake::pipeline
