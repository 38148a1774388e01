// The bronze table ImagingDicom (ARCHITECTURE section 3): one row per instance file version,
// with Fabric's 29 promoted tags typed, the whole data set as DICOM JSON, and lineage.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "dicom/dataset.h"
#include "dicom/frame_index.h"
#include "lake/schema.h"
#include "lake/value.h"

namespace dicomlake::bronze {

lake::Schema ImagingDicomSchema();
// The table's description (Delta metaData), as its writers create or widen it.
inline constexpr const char* kImagingDicomDescription =
    "dicomlake: one row per DICOM instance file version";

// The SQL expression (over ImagingDicom columns) of the key that groups instances into studies:
// the StudyInstanceUID, or, for an instance without one, the instance itself (so unrelated
// UID-less files never merge into one study). fhir::ResourceId is SHA-256 of "<ns>/<key>".
inline constexpr const char* kStudyGroupKeySql =
    "coalesce(nullif(trim(studyInstanceUid), ''), 'instance:' || contentHash)";

// Facts about the file that the row records beside its content.
struct FileFacts {
  std::string file_path;         // where the bytes live now (Process copy, archive, or in place)
  std::string source_file_path;  // where they came from
  std::string archive_member;    // member inside file_path when it is an archive, else ""
  std::string inventory_file_path;
  int64_t source_modified_us = 0;
  std::string source_system;  // the namespace
  int64_t file_size = 0;
  std::string content_hash;  // XXH3-128 hex of the file bytes
  std::string dataset_hash;  // XXH3-128 hex of its data set (dicom/dataset_hash.h)
  std::string run_id;
  int64_t created_us = 0;
};

// The promoted values of a data set, typed; problems (a date that is not a date, a missing
// UID) are appended to `warnings`.
struct Promoted {
  lake::Row values;  // in ImagingDicomSchema() order, the 29 promoted columns
};
Promoted PromoteTags(const dicom::Dataset& data, std::vector<std::string>* warnings);

// A whole row in schema order. `frame_index` fills the column frameIndex: one struct
// (frameNumber from 1, offset, length) per byte range of each frame in the file, NULL when the
// frames are not located (no Pixel Data, deflated, rows written before the column existed).
lake::Row MakeImagingDicomRow(const dicom::Dataset& data, const std::string& metadata_json,
                              const std::string& transfer_syntax_uid,
                              std::vector<std::string> warnings, const FileFacts& facts,
                              const std::optional<dicom::FrameIndex>& frame_index);

}  // namespace dicomlake::bronze
