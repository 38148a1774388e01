// The studies a change in bronze touches, for the FHIR stage: a study is rebuilt whole from all
// of its stored instances whenever any of them changes (ARCHITECTURE section 3), so the input is
// every instance (the newest version of each SOP instance) of each study that has an instance in
// the data files added since the last run. Held in a temporary table, read a range of studies at
// a time so that memory holds one round of DICOM JSON.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "lake/delta_log.h"
#include "lake/temp_tables.h"

namespace dicomlake::lake {
class DeltaTable;
class Engine;
}  // namespace dicomlake::lake

namespace dicomlake::bronze {

struct StudyInstance {
  int64_t study_no = 0;        // 0 .. studies()-1, by (namespace, group key)
  std::string namespace_name;  // sourceSystem
  std::string group_key;       // kStudyGroupKeySql
  std::string study_uid;       // "" when the instance has none
  int64_t source_modified_us = 0;
  int64_t created_us = 0;
  std::string file_path;
  std::string metadata_json;  // with the patches that apply to it applied (bronze/operations.h)
  bool deleted = false;       // a soft-delete applies to it
  int64_t operated_us = 0;    // when the newest operation that applies to it was recorded; 0: none
};

class ChangedStudies {
 public:
  explicit ChangedStudies(lake::Engine& engine) : engine_(engine), temps_(engine) {}

  // Finds the studies with an instance in `added_files` (data files of `snapshot` of bronze;
  // only namespace `only_namespace` when it is not empty) and stages their instances: those of
  // bronze, and those of `purged` that bronze no longer holds (`dicomlake purge`: a SQL relation
  // with sourceSystem, studyInstanceUid, seriesInstanceUid, sopInstanceUid, sourceModifiedAt,
  // createdDatetime, filePath, metadata_string, from silver.ImagingMetastore; empty for none).
  // The operation rows of bronze (patch, soft-delete) are applied to them; a study with an
  // operation among `added_files` is staged as a changed one.
  Status Stage(const lake::DeltaTable& bronze, const lake::Snapshot& snapshot,
               const std::vector<std::string>& added_files, const std::string& only_namespace,
               const std::string& purged = "");
  int64_t studies() const { return studies_; }
  int64_t instances() const { return instances_; }
  // The instances of studies [first, first + count), ordered by study number.
  Result<std::vector<StudyInstance>> Read(int64_t first, int64_t count) const;

 private:
  lake::Engine& engine_;
  lake::TempTables temps_;
  int64_t studies_ = 0, instances_ = 0;
};

}  // namespace dicomlake::bronze
