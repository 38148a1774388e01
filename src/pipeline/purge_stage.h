// Purge bronze (`dicomlake purge LAKE bronze [--before DATE]`, issue 15; docs/lifecycle.md), as
// Fabric lets the bronze ImagingDicom table be purged once silver has its data.
//
// Removes the bronze rows that both later stages have consumed (the fhir stage's and the silver
// metastore's recorded bronze versions: every row present at the smaller of the two is in the
// FHIR NDJSON and in silver.ImagingMetastore), optionally only those ingested before a date.
// Each purged row leaves a compact record in admin.PurgedInstances (bronze's columns but the DICOM
// JSON: UIDs, namespace, patient, modality, hash, size, where the original is stored, frame
// index), written before the rows go, so that:
//   - deduplication keeps working: a re-delivered identical file is recognised;
//   - the lake's instances are still complete for restore, verify, export, deid, frames and
//     backup, which read bronze with the purged records beside it (pipeline/cohort.h);
//   - the fhir stage rebuilds a study that gets new instances from bronze and, for instances
//     bronze no longer holds, silver.ImagingMetastore (bronze/changed_studies.h).
// The rows go by a Delta DELETE (the kept rows' files carry dataChange=false): older versions of
// bronze still hold them until `vacuum` deletes the files after the retention period. Stored
// originals are kept.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "lake/schema.h"
#include "pipeline/stage.h"

namespace dicomlake::pipeline {

inline constexpr const char* kPurgeActivity = "bronze_purge";

// admin.PurgedInstances: bronze's columns but metadata_string, plus purgedDatetime, purgeRunId.
lake::Schema PurgedInstancesSchema();

// The columns of bronze.ImagingDicom that admin.PurgedInstances keeps, comma-separated (SQL).
const std::string& PurgedInstanceColumnsSql();

struct PurgeRequest {
  std::optional<int64_t> before_us;  // only rows ingested (createdDatetime) before this
  bool dry_run = false;
};

struct PurgeSummary : StageSummary {
  int64_t consumed_version = -1;  // the bronze version both later stages have consumed
  int64_t rows_purged = 0;        // (or, in a dry run, that would be)
  int64_t rows_kept = 0;          // bronze rows left
  int64_t bronze_version = -1;    // the DELETE's version (-1: none)
  bool dry_run = false;
  std::string reason;  // why nothing was purged, when nothing was
  std::string ToJson() const;
};

Result<PurgeSummary> RunPurge(const lake::Lake& lake, lake::Engine& engine,
                              const config::Config& config, const PurgeRequest& request);

}  // namespace dicomlake::pipeline
