// DICOM -> FHIR R4 ImagingStudy (ARCHITECTURE section 4; the element table with the official
// DICOM mappings is reference/sources/is_table.md; docs/fhir.md documents what is implemented).
//
// Input: the instances of one study of one namespace, each as DICOM JSON (bronze
// metadata_string), one per SOP instance (the caller keeps the latest version of each).
// Output: one ImagingStudy resource and the problems met. The mapping never fails: what FHIR
// cannot accept (a UID that is not a UID, a date that is not a date) is left out of the
// resource and reported; a required element whose source is missing (series modality, instance
// SOP class, subject) carries the data-absent-reason extension instead of an invented value.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace dicomlake::fhir {

inline constexpr const char* kDicomUidSystem = "urn:dicom:uid";
inline constexpr const char* kDcmSystem = "http://dicom.nema.org/resources/ontology/DCM";
inline constexpr const char* kSnomedSystem = "http://snomed.info/sct";
inline constexpr const char* kDataAbsentReasonUrl =
    "http://hl7.org/fhir/StructureDefinition/data-absent-reason";

struct InstanceInput {
  std::string metadata_json;  // the data set as DICOM JSON (PS3.18 Annex F)
  int64_t source_modified_us = 0;
  int64_t created_us = 0;  // when the row reached bronze
  std::string file_path;
  bool deleted = false;     // soft-deleted (bronze/operations.h): left out of the resource
  int64_t operated_us = 0;  // when the newest operation on it was recorded; 0: none
};

struct StudyInput {
  std::string namespace_name;
  std::string study_uid;  // "" when the instances carry none
  std::string group_key;  // the grouping key: the study UID, or "instance:<contentHash>"
  std::vector<InstanceInput> instances;
};

struct MappingOptions {
  // The zone of a date-time that has a time but no TimezoneOffsetFromUTC (0008,0201):
  // "Z" or "+HH:MM"/"-HH:MM".
  std::string default_timezone = "Z";
  // The identifier system of PatientID when IssuerOfPatientID (0010,0021) is absent; empty:
  // "urn:dicomlake:namespace:<namespace>".
  std::string patient_identifier_system;
};

struct Issue {
  std::string severity;  // "Error" (something left out) or "Warning" (an assumption made)
  std::string message;
};

struct MappedStudy {
  std::string id;  // the resource id (ResourceId of namespace and group key)
  nlohmann::ordered_json resource;
  std::vector<Issue> issues;
  std::string subject_system;  // the patient identifier, "" when there is no PatientID
  std::string subject_value;
  int64_t last_updated_us = 0;
};

// The resource id: SHA-256 hex of "<namespace>/<group key>" (64 characters, FHIR's id limit),
// the same on every run and machine.
std::string ResourceId(const std::string& namespace_name, const std::string& group_key);

// Fabric's extension on a study whose every instance was soft-deleted.
inline constexpr const char* kDeletedStateUrl =
    "http://azurehealthcareapis.com/data-extensions/deleted-state";

// The ImagingStudy of the instances of `input` that are not deleted. When every instance is
// deleted, the resource keeps the study's identity (identifiers, subject, dates) with status
// "entered-in-error", the extension kDeletedStateUrl "soft-deleted", no series and counts of 0.
// meta.lastUpdated is the newest time of any instance, deleted ones and operations included.
MappedStudy MapStudy(const StudyInput& input, const MappingOptions& options);

// Adds the literal reference "Patient/<patient_id>" to the subject.
void LinkSubject(nlohmann::ordered_json* resource, const std::string& patient_id);

// Identifier system for an issuer of patient ids: a URI as it is, an OID as urn:oid:, other
// text as "urn:dicomlake:issuer:<percent-encoded>".
std::string IssuerSystem(const std::string& issuer);

}  // namespace dicomlake::fhir
