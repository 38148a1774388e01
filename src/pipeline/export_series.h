// One series of an export (export_stage.h): its stored originals made readable, decoded and
// written in the export's format. Internal to the export stage; thread-safe (one call per
// series, each on its own thread with a large stack).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "pipeline/cohort.h"
#include "pipeline/export_stage.h"

namespace dicomlake::pipeline {

// One row of manifest.csv.
struct ExportOutput {
  std::string output;  // relative to the export folder; empty when nothing was written
  int volume = 0;      // 1, 2 ... when the series gave several outputs
  int64_t files = 0;   // instances in it
  int64_t frames = 0;
  std::string shape, spacing, problem;
};

struct SeriesOutcome {
  std::vector<ExportOutput> outputs;
  std::vector<FileFailure> failures;
  int64_t files_written = 0, bytes_written = 0;
  int64_t without_pixels = 0;  // instances without Pixel Data (SR, ...): left out, not failed
};

// Exports `series` under `root` (in <patient>/<study>/ folders), using `scratch` (removed
// afterwards) for originals extracted from archives.
SeriesOutcome ExportOneSeries(const CohortSeries& series, ExportFormat format,
                              const std::string& root, const std::string& scratch);

// A path component from an identifier: characters other than letters, digits, '.', '-' and
// '_' become '_'; empty becomes "unknown".
std::string SafeName(const std::string& id);

}  // namespace dicomlake::pipeline
