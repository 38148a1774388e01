// The export (`dicomlake export`, ARCHITECTURE section 10; docs/pixels.md): a cohort's images out
// of the lake in a form a training script reads. The cohort is chosen by SQL or by study,
// series or patient; the instances are the latest bronze rows of those series, read from
// wherever their originals are stored (Process one-entry ZIPs, archives' members, BYOS paths).
//
// Per series: NIfTI volumes (.nii.gz + a JSON sidecar), NumPy volumes (.npy + sidecar), PNG
// previews (one per frame) or the original files; then, for the whole export, `manifest.csv`
// (one row per output, or per series that gave none, with any problem) and `datalist.json` (the
// layout of MONAI's load_decathlon_datalist). A file that cannot be read or decoded is a
// BusinessEvents row and a manifest problem; the export goes on. Series run in parallel, each
// streamed slice by slice.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "pipeline/cohort.h"
#include "pipeline/stage.h"

namespace dicomlake::pipeline {

inline constexpr const char* kExportActivity = "imaging_export";

enum class ExportFormat { kNifti, kNpy, kPng, kDicom };
// "nifti", "npy", "png", "dicom"; anything else is kInvalidArgument.
Result<ExportFormat> ParseExportFormat(const std::string& name);
const char* ExportFormatName(ExportFormat format);

// The cohort (CohortRequest: SQL and/or UID and ID lists) and what to make of it.
struct ExportRequest : CohortRequest {
  ExportFormat format = ExportFormat::kNifti;
  std::string to;   // the output folder (created)
  int threads = 0;  // series exported at once; 0: one per core
  // Called after each series with (series done, series in all), from one thread at a time.
  std::function<void(int64_t, int64_t)> progress;
};

struct ExportSummary : StageSummary {
  int64_t series = 0;         // series selected
  int64_t instances = 0;      // instances selected
  int64_t outputs = 0;        // volumes, arrays, PNG folders or series folders written
  int64_t files_written = 0;  // files written (outputs, sidecars, PNGs, DICOM copies)
  int64_t bytes_written = 0;
  int64_t failed = 0;  // instances that could not be read or decoded
  int64_t series_with_problems = 0;
  std::string manifest_path, datalist_path;
  std::string ToJson() const;
};

Result<ExportSummary> RunExport(const lake::Lake& lake, lake::Engine& engine,
                                const config::Config& config, const ExportRequest& request);

}  // namespace dicomlake::pipeline
