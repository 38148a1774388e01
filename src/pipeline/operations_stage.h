// Patch and delete (Fabric's imaging operations; docs/lifecycle.md): `dicomlake delete` and
// `dicomlake patch` record an operation on stored instances as bronze ImagingDicom rows
// (bronze/operations.h) and a BusinessEvents row saying who, when, what and why; the fhir,
// silver and gold stages carry it through (FHIR ImagingStudy without the deleted instances or
// entered-in-error, silver msftIsDeleted and patched tags, gold rows removed or remapped).
// The same operations dropped as NDJSON files in the operations folder
// (bronze/Files/Ingest/Imaging/OPERATIONS/<namespace>/) are recorded by the ingest stage.
// `--purge` (delete only) then erases what the lake holds of the deleted instances.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "lake/lake.h"
#include "pipeline/stage.h"

namespace dicomlake::config {
class Config;
}
namespace dicomlake::lake {
class Engine;
}

namespace dicomlake::pipeline {

class StageRun;

inline constexpr const char* kOperationsActivity = "imaging_operations";
// Fabric's activity name for operations read from files.
inline constexpr const char* kOperationFilesActivity =
    "imaging_operations_patch_file_bronze_ingestion";

struct OperationRequest {
  std::string operation;  // bronze::kSoftDelete or bronze::kPatch
  // The target: exactly one of a study, a series, an instance, or a SQL query over the lake's
  // views returning a sopInstanceUid, seriesInstanceUid or studyInstanceUid column.
  std::string study_uid, series_uid, sop_uid, sql;
  std::string only_namespace;  // "": every namespace holding the target
  std::string tags_json;       // patch: the attributes to set (DICOM JSON)
  std::string reason;          // why (required)
  std::string who;             // who asked ("" : the user running dicomlake)
  bool dry_run = false;        // say what would be targeted; record nothing
};

struct OperationSummary : StageSummary {
  std::string operation;
  int64_t operations_recorded = 0;  // bronze rows (one per namespace and target)
  int64_t instances_targeted = 0;   // instances the operations apply to now
  int64_t studies_targeted = 0;
  std::vector<std::string> studies;  // their Study Instance UIDs (the first 100)
  bool dry_run = false;
  std::string ToJson() const;
};

// Records the operation (refused when the target matches no stored instance).
Result<OperationSummary> RunOperation(const lake::Lake& lake, lake::Engine& engine,
                                      const config::Config& config,
                                      const OperationRequest& request);

// What `--purge` erased of the deleted instances.
struct ErasureSummary : StageSummary {
  int64_t instances_erased = 0;   // instance versions whose rows left bronze/silver/admin
  int64_t originals_removed = 0;  // stored originals (Process copies, archives) deleted
  int64_t originals_kept = 0;     // not deleted: outside the lake, or shared with others
  std::vector<std::string> kept;  // why, per original (the first 100)
  std::string ToJson() const;
};

// Erases what the lake holds of the instances of `studies` that are deleted (silver
// msftIsDeleted): their stored originals (a Process copy; a stored archive only when every
// instance in it is deleted; never a file outside the lake), their rows in bronze
// ImagingDicom, silver ImagingMetastore and admin.PurgedInstances. Table history keeps the
// rows until `dicomlake vacuum` removes the files after the retention period. Run after the
// operation went through the silver stage.
Result<ErasureSummary> EraseDeleted(const lake::Lake& lake, lake::Engine& engine,
                                    const config::Config& config,
                                    const std::vector<std::string>& studies);

// The ingest stage's part: records the operations files of the operations folder. A file whose
// every line is a valid operation is recorded (one bronze row per line) and moved to
// Process/Imaging/OPERATIONS/<namespace>/YYYY/MM/DD/; a file with any invalid line records
// nothing, each bad line is a BusinessEvents row, and the file moves to
// Failed/Imaging/OPERATIONS/<namespace>/YYYY/MM/DD/. A file already recorded (same content) is
// only moved. Returns the operations recorded; adds each refused file to `refused` (path,
// reasons).
Result<int64_t> IngestOperationFiles(StageRun& run,
                                     std::vector<std::pair<std::string, std::string>>* refused);

}  // namespace dicomlake::pipeline
