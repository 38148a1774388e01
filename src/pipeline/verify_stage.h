// Verify (`dicomlake verify`, issue 15; docs/lifecycle.md): fixity. Every stored original that
// bronze references (or a sample of them) is re-read and its XXH3-128 recomputed against
// bronze's contentHash; every data file of every Delta table's latest version is checked to
// exist with the size its log records. Each problem is an admin.BusinessEvents row (its state in
// customDimensions), the counts are the run's admin.ExecutionSummary row.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "pipeline/fixity.h"
#include "pipeline/stage.h"

namespace dicomlake::pipeline {

inline constexpr const char* kVerifyActivity = "fixity_verification";

struct VerifyRequest {
  double sample_percent = 100;  // of the stored originals, chosen by SOP Instance UID (stable)
  int threads = 0;
  std::function<void(int64_t, int64_t)> progress;  // (originals checked, to check)
};

// A problem found: "missing", "corrupt", "changed-in-place" (fixity.h), "missing-data-file" or
// "data-file-size".
using VerifyProblem = FixityProblem;

struct VerifySummary : StageSummary {
  int64_t originals_checked = 0, missing = 0, corrupt = 0, changed_in_place = 0;
  int64_t tables_checked = 0, data_files_checked = 0, data_files_missing = 0, data_files_wrong = 0;
  int64_t bytes_read = 0;
  std::vector<VerifyProblem> problems;
  bool ok() const { return problems.empty(); }
  std::string ToJson() const;
};

Result<VerifySummary> RunVerify(const lake::Lake& lake, lake::Engine& engine,
                                const config::Config& config, const VerifyRequest& request);

}  // namespace dicomlake::pipeline
