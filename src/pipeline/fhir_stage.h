// The FHIR stage (`dicomlake fhir`, ARCHITECTURE sections 2 and 4): bronze ImagingDicom ->
// FHIR R4 ImagingStudy bulk NDJSON under
// bronze/Files/Process/Clinical/FHIR-NDJSON/<namespace>/YYYY/MM/DD/ImagingStudy-<utc>.ndjson.
//
// Incremental: the studies (namespace, StudyInstanceUID) with instances added to bronze since
// the version the last run consumed are rebuilt whole from every stored instance (the latest
// version of each instance wins), so a study that gains instances is written again with the
// same id. The consumed bronze version is recorded in ExecutionSummary
// (activityAttributes.bronzeVersion) after the files are durable; a crash in between writes the
// same resources again on the next run, which silver's upsert absorbs.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "pipeline/stage.h"

namespace dicomlake::pipeline {

inline constexpr const char* kFhirActivity = "imaging_dicom_fhir_conversion";

struct FhirOptions {
  std::string only_namespace;  // empty: every namespace
  bool rebuild = false;        // every study, not only the changed ones
};

struct FhirSummary : StageSummary {
  int64_t bronze_version = -1;     // the bronze version read
  int64_t instances_read = 0;      // instances of the affected studies
  int64_t studies_written = 0;     // ImagingStudy resources written
  int64_t studies_linked = 0;      // of those, with a literal Patient reference
  int64_t problems = 0;            // BusinessEvents rows recorded
  std::vector<std::string> files;  // NDJSON files written

  std::string ToJson() const;
};

Result<FhirSummary> RunFhir(const lake::Lake& lake, lake::Engine& engine,
                            const config::Config& config, const FhirOptions& options);

}  // namespace dicomlake::pipeline
