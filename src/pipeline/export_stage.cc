#include "pipeline/export_stage.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>

#include "common/csv.h"
#include "common/fs.h"
#include "common/parallel.h"
#include "config/config.h"
#include "lake/engine.h"
#include "lake/lake.h"
#include "pipeline/export_series.h"
#include "pipeline/stage_runner.h"

namespace dicomlake::pipeline {

Result<ExportFormat> ParseExportFormat(const std::string& name) {
  if (name == "nifti") return ExportFormat::kNifti;
  if (name == "npy") return ExportFormat::kNpy;
  if (name == "png") return ExportFormat::kPng;
  if (name == "dicom") return ExportFormat::kDicom;
  return InvalidArgument("unknown export format \"" + name + "\" (nifti, npy, png or dicom)");
}

const char* ExportFormatName(ExportFormat format) {
  switch (format) {
    case ExportFormat::kNifti:
      return "nifti";
    case ExportFormat::kNpy:
      return "npy";
    case ExportFormat::kPng:
      return "png";
    default:
      return "dicom";
  }
}

std::string ExportSummary::ToJson() const {
  nlohmann::ordered_json j;
  j["runId"] = run_id;
  j["series"] = series;
  j["instances"] = instances;
  j["outputs"] = outputs;
  j["filesWritten"] = files_written;
  j["bytesWritten"] = bytes_written;
  j["failed"] = failed;
  j["seriesWithProblems"] = series_with_problems;
  j["manifest"] = manifest_path;
  j["datalist"] = datalist_path;
  j["elapsedSeconds"] = elapsed_seconds;
  return j.dump(2);
}

namespace {

Status WriteManifest(const std::string& path, const std::vector<CohortSeries>& series,
                     const std::vector<SeriesOutcome>& outcomes) {
  std::string csv =
      "patient_id,study_instance_uid,series_instance_uid,modality,series_description,volume,"
      "output,instances,frames,shape,spacing_mm,problem\n";
  for (size_t i = 0; i < series.size(); ++i) {
    const CohortSeries& s = series[i];
    for (const auto& o : outcomes[i].outputs) {
      std::vector<std::string> fields = {s.patient_id,
                                         s.study_instance_uid,
                                         s.series_instance_uid,
                                         s.modality,
                                         s.description,
                                         o.volume > 0 ? std::to_string(o.volume) : "",
                                         o.output,
                                         std::to_string(o.files),
                                         std::to_string(o.frames),
                                         o.shape,
                                         o.spacing,
                                         o.problem};
      for (size_t k = 0; k < fields.size(); ++k) csv += (k ? "," : "") + CsvField(fields[k]);
      csv += "\n";
    }
  }
  return fs::WriteFileAtomic(path, csv);
}

// MONAI's decathlon datalist (monai.data.load_decathlon_datalist): {"training": [{"image":
// path relative to the datalist's folder, ...}]}. PNG outputs list each image.
Status WriteDatalist(const std::string& path, const std::string& root, ExportFormat format,
                     const std::vector<CohortSeries>& series,
                     const std::vector<SeriesOutcome>& outcomes) {
  nlohmann::ordered_json training = nlohmann::ordered_json::array();
  for (size_t i = 0; i < series.size(); ++i) {
    const CohortSeries& s = series[i];
    for (const auto& o : outcomes[i].outputs) {
      if (o.output.empty()) continue;
      auto entry = [&](const std::string& image) {
        nlohmann::ordered_json e;
        e["image"] = image;
        e["patient_id"] = s.patient_id;
        e["study_instance_uid"] = s.study_instance_uid;
        e["series_instance_uid"] = s.series_instance_uid;
        e["modality"] = s.modality;
        e["volume"] = o.volume;
        return e;
      };
      if (format == ExportFormat::kPng) {
        for (int64_t k = 1; k <= o.frames; ++k) {
          std::string image = fs::Join(o.output, fmt::format("{:04d}.png", k));
          if (fs::Exists(fs::Join(root, image))) training.push_back(entry(image));
        }
      } else {
        training.push_back(entry(o.output));
      }
    }
  }
  nlohmann::ordered_json j;
  j["name"] = "dicomlake export";
  j["description"] = fmt::format("{} of {} series, written by dicomlake export",
                                 ExportFormatName(format), series.size());
  j["tensorImageSize"] = format == ExportFormat::kPng ? "2D" : "3D";
  j["numTraining"] = training.size();
  j["training"] = std::move(training);
  return fs::WriteFileAtomic(path, j.dump(2) + "\n");
}

Status Export(StageRun& run, const ExportRequest& request, ExportSummary* summary) {
  std::vector<std::string> warnings;
  DL_RETURN_IF_ERROR(run.lake.RegisterViews(run.engine, &warnings));
  DL_ASSIGN_OR_RETURN(std::vector<CohortSeries> series,
                      SelectCohort(run.lake, run.engine, request));
  if (series.empty()) return NotFound("the cohort holds no series in bronze.ImagingDicom");
  std::string root = fs::Absolute(request.to);
  DL_RETURN_IF_ERROR(fs::MakeDirs(root));
  std::string scratch = fs::Join(root, ".dicomlake-export-" + run.run_id());
  std::vector<SeriesOutcome> outcomes(series.size());
  std::mutex mutex;
  int64_t done = 0;
  DL_RETURN_IF_ERROR(ParallelFor(series.size(), WorkerCount(request.threads), [&](size_t i) {
    outcomes[i] =
        ExportOneSeries(series[i], request.format, root, fs::Join(scratch, std::to_string(i)));
    std::lock_guard<std::mutex> lock(mutex);
    ++done;
    if (request.progress) request.progress(done, static_cast<int64_t>(series.size()));
  }));
  (void)fs::RemoveAll(scratch);
  summary->manifest_path = fs::Join(root, "manifest.csv");
  summary->datalist_path = fs::Join(root, "datalist.json");
  DL_RETURN_IF_ERROR(WriteManifest(summary->manifest_path, series, outcomes));
  DL_RETURN_IF_ERROR(WriteDatalist(summary->datalist_path, root, request.format, series, outcomes));
  summary->series = static_cast<int64_t>(series.size());
  for (size_t i = 0; i < series.size(); ++i) {
    const SeriesOutcome& o = outcomes[i];
    summary->instances += static_cast<int64_t>(series[i].instances.size());
    summary->files_written += o.files_written;
    summary->bytes_written += o.bytes_written;
    summary->failed += static_cast<int64_t>(o.failures.size());
    bool problem = false;
    for (const auto& out : o.outputs) {
      if (!out.output.empty()) ++summary->outputs;
      problem = problem || !out.problem.empty();
    }
    if (problem) ++summary->series_with_problems;
    for (const auto& f : o.failures) {
      BusinessEvent e;
      e.source_file_path = f.path;
      e.record_identifier = f.member.empty() ? series[i].series_instance_uid : f.member;
      e.message = f.reason;
      e.custom_dimensions = nlohmann::json{{"seriesInstanceUid", series[i].series_instance_uid},
                                           {"format", ExportFormatName(request.format)}}
                                .dump();
      run.AddEvent(std::move(e));
    }
  }
  ExecutionSummary& es = run.summary;
  es.status = summary->failed > 0 ? "SucceededWithFailures" : "Succeeded";
  es.source_path = run.lake.TablesPath("bronze");
  es.source_lakehouse = "bronze";
  es.target_path = root;
  es.source_records = summary->instances;
  es.target_records = summary->outputs;
  es.target_files = summary->files_written;
  es.target_bytes = summary->bytes_written;
  es.attributes = {{"format", ExportFormatName(request.format)},
                   {"series", std::to_string(summary->series)},
                   {"failedFiles", std::to_string(summary->failed)}};
  return Status::Ok();
}

}  // namespace

Result<ExportSummary> RunExport(const lake::Lake& lake, lake::Engine& engine,
                                const config::Config& config, const ExportRequest& request) {
  static const StageSpec kExport{"export", kExportActivity, "admin"};
  return RunStageFor<ExportSummary>(
      kExport, lake, engine, config,
      [&request](StageRun& run, ExportSummary* summary) { return Export(run, request, summary); });
}

}  // namespace dicomlake::pipeline
