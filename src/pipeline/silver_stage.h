// The silver stage (`dicomlake silver`, ARCHITECTURE sections 2 and 3):
//  1. ImagingMetastore: every instance added to bronze since the version recorded in the
//     table's own Delta `txn` action (so data and progress commit together); upsert on (study,
//     series, SOP, source system), a newer sourceModifiedAt wins, msftCreatedDatetime kept.
//  2. FHIR NDJSON: the ImagingStudy files of the FHIR stage
//     (bronze/Files/Process/Clinical/FHIR-NDJSON/...) and clinical files dropped in
//     bronze/Files/Ingest/Clinical/FHIR-NDJSON/<namespace>/ that FileManifest has not seen.
//     Clinical resources of every type are kept in bronze ClinicalFhir; Patient resources are
//     flattened into silver Patient and ImagingStudy resources into silver ImagingStudy (upsert
//     on id, a newer meta_lastUpdated wins, msftCreatedDatetime kept). Dropped files move to
//     Process after their rows are committed.
//  3. Linking: each ImagingStudy whose subject identifier matches a silver Patient gets a
//     literal reference to it, also for studies stored before the patient arrived.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "pipeline/stage.h"

namespace dicomlake::pipeline {

inline constexpr const char* kSilverActivity = "silver_fhir_flatten";
inline constexpr const char* kMetastoreActivity = "silver_imaging_metastore_service";

struct SilverFailure {
  std::string path;  // the NDJSON file, with ":<line>" for a bad line
  std::string reason;
};

struct SilverSummary : StageSummary {
  int64_t metastore_rows = 0;   // ImagingMetastore rows written (inserted or replaced)
  int64_t ndjson_files = 0;     // NDJSON files read
  int64_t imaging_studies = 0;  // ImagingStudy resources read
  int64_t patients = 0;         // Patient resources read
  int64_t other_resources = 0;  // other clinical resources kept in bronze ClinicalFhir
  int64_t studies_linked = 0;   // ImagingStudy rows given a Patient reference
  int64_t failed = 0;           // bad lines and unreadable files
  std::vector<SilverFailure> failures;

  std::string ToJson() const;
};

Result<SilverSummary> RunSilver(const lake::Lake& lake, lake::Engine& engine,
                                const config::Config& config);

}  // namespace dicomlake::pipeline
