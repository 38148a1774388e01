// A cohort: the instances an exit works on (export, deid), chosen by SQL or by study, series or
// patient, each as the latest bronze row of its SOP Instance UID, and the way to make their
// stored originals readable as plain files (Process one-entry ZIPs and archives' members
// extracted, BYOS paths as they are).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "lake/engine.h"
#include "lake/lake.h"

namespace dicomlake::pipeline {

// What a cohort is: a query whose first column holds Series Instance UIDs (or Study Instance
// UIDs, or Patient IDs, by its name: see SelectionKind), and/or lists of UIDs and IDs. Their
// union.
struct CohortRequest {
  std::string sql;
  std::vector<std::string> studies, series, patients;
  // Also the instances `dicomlake delete` marked deleted (silver.ImagingMetastore msftIsDeleted):
  // `restore --include-deleted`. The exits that make new data (export, deid) never take them.
  bool include_deleted = false;
  bool empty() const {
    return sql.empty() && studies.empty() && series.empty() && patients.empty();
  }
};

// What the first column of a cohort query holds, by its name (case-insensitive): a name with
// "series" in it: Series Instance UIDs; with "study": Study Instance UIDs; "patientid",
// "patient_id" or "patient": Patient IDs. Anything else is kInvalidArgument naming the column.
enum class SelectionKind { kSeries, kStudy, kPatient };
Result<SelectionKind> SelectionKindOf(const std::string& column_name);

struct CohortInstance {
  std::string sop_instance_uid;
  std::string file_path;         // the stored original, or the archive holding it (absolute)
  std::string archive_member;    // the member of `file_path`, or empty
  std::string source_file_path;  // where it was delivered (bronze sourceFilePath)
  std::string content_hash;      // XXH3-128 of the original's bytes (bronze contentHash)
  int64_t file_size = -1;        // its size in bytes
  std::string namespace_name;    // bronze sourceSystem
};

struct CohortSeries {
  std::string series_instance_uid, study_instance_uid, patient_id, modality, description;
  std::vector<CohortInstance> instances;
};

// The series of the cohort, each with the latest bronze row of each of its instances (not
// deleted), ordered by patient, study, series and instance number. The lake's views must be
// registered in `engine`. kInvalidArgument for an empty request or a failing query.
Result<std::vector<CohortSeries>> SelectCohort(const lake::Lake& lake, lake::Engine& engine,
                                               const CohortRequest& request);

// A stored original that could not be made readable, or read.
struct FileFailure {
  std::string path, member, reason;
};

// Makes the stored originals of `series` readable: plain paths as they are, archive members
// extracted into `scratch` (one pass per archive; the caller removes it). Returns a readable
// path per instance ("" with a failure recorded when the original is missing or unreadable).
std::vector<std::string> MaterialiseOriginals(const CohortSeries& series,
                                              const std::string& scratch,
                                              std::vector<FileFailure>* failures);

}  // namespace dicomlake::pipeline
