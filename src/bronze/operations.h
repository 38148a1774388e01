// Operations on stored instances, as Fabric's imaging operations do them: a soft-delete or a
// patch of tag values is a row appended to bronze ImagingDicom with `operation` set
// ("soft-delete" or "patch"), targeting a study, a series of it or one instance (an empty
// series or instance UID targets every one). The originals and the DICOM rows are never changed;
// the later stages read the operation rows beside the instances (docs/lifecycle.md):
//
//   - An operation applies to every version of a targeted instance whose sourceModifiedAt is
//     not newer than the operation's, in the instance's namespace: a newer version of the file
//     (modified after the operation) replaces it, as a newer version replaces any older one.
//   - soft-delete: the instance is deleted (silver msftIsDeleted; left out of FHIR and gold).
//   - patch: each attribute of the patch (DICOM JSON) replaces the instance's whole; patches
//     apply in the order of their sourceModifiedAt, then createdDatetime (the latest wins).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "lake/value.h"

namespace dicomlake::bronze {

inline constexpr const char* kSoftDelete = "soft-delete";
inline constexpr const char* kPatch = "patch";

// Fabric's extension URLs in an operations file (Ingest/Imaging/OPERATIONS/<namespace>/).
inline constexpr const char* kOperationExtensionUrl =
    "http://healthcaredatasolutions.com/data-extensions/operation";
inline constexpr const char* kOperationTagsExtensionUrl =
    "http://healthcaredatasolutions.com/data-extensions/operation-dicomtags";

struct Operation {
  std::string operation;         // kSoftDelete or kPatch
  std::string namespace_name;    // sourceSystem of the instances it targets
  std::string study_uid;         // required
  std::string series_uid;        // "": every series of the study
  std::string sop_uid;           // "": every instance of the series (or of the study)
  std::string tags_json;         // patch: the attributes to set, a DICOM JSON object
  int64_t modified_us = 0;       // sourceModifiedAt
  std::string source_file_path;  // the operations file it came from (stored path); "" for the CLI
  std::string source_hash;       // that file's content hash (a re-delivered file adds nothing)
};

// The bronze ImagingDicom row of an operation (schema order; the columns an instance row has
// and an operation has not are NULL).
lake::Row MakeOperationRow(const Operation& op, const std::string& run_id, int64_t created_us);

// Checks a patch: a non-empty DICOM JSON object whose keys are public attributes (eight hex
// digits), each a {"vr": ..., "Value": [...]} object without bulk data; the attributes that
// identify an instance (Study/Series/SOP Instance UID), the file meta group and Pixel Data are
// refused.
Status ValidateTagPatch(const std::string& tags_json);

// The DICOM JSON `metadata_json` with `patches` (DICOM JSON objects) applied in order: each
// attribute of a patch replaces the data set's.
Result<std::string> ApplyTagPatches(const std::string& metadata_json,
                                    const std::vector<std::string>& patches);

// A patch from `Keyword=value` assignments (a PS3.6 keyword or a tag as eight hex digits; values
// separated by backslashes; nothing after "=" sets the attribute empty), each value written as
// DICOM JSON writes its dictionary VR (PN as Alphabetic, IS/DS/US/... as numbers). Sequences,
// binary VRs and the attributes ValidateTagPatch refuses are refused.
Result<std::string> TagPatchFromAssignments(const std::vector<std::string>& assignments);

// One line of a Fabric operations file: a FHIR-like ImagingStudy stub whose extension
// kOperationExtensionUrl says the operation, kOperationTagsExtensionUrl holds a patch's
// attributes (DICOM JSON as text), identifier[0].value the study UID ("urn:oid:" prefix
// allowed), series[0].uid and series[0].instance[0].uid the optional series and instance, and
// meta.lastUpdated the operation's time (`default_modified_us` when absent).
Result<Operation> ParseOperationLine(const std::string& line, const std::string& namespace_name,
                                     int64_t default_modified_us);

// SQL condition: the operation row `o` applies to the instance whose namespace, study, series,
// SOP Instance UID and sourceModifiedAt are the SQL expressions given.
std::string OperationAppliesSql(const std::string& o, const std::string& ns,
                                const std::string& study, const std::string& series,
                                const std::string& sop, const std::string& modified);

}  // namespace dicomlake::bronze
