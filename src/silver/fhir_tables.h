// The silver FHIR tables (ARCHITECTURE section 3; docs/fhir.md lists every column) and the bronze
// table of clinical FHIR resources, and how one resource becomes one row.
//
// Row layout (Fabric's flattening): `id` = SHA-256 hex of "<msftSourceSystem>/<Type>/<idOrig>",
// `idOrig` the resource's own id, `meta_lastUpdated` (TIMESTAMP, the upsert order), one column
// per modelled top-level element (complex ones as STRUCT/LIST plus a `<name>_string` JSON twin),
// then lineage: msftCreatedDatetime (kept on update), msftModifiedDatetime, msftFilePath,
// msftSourceSystem.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "lake/schema.h"
#include "lake/value.h"

namespace dicomlake::silver {

lake::Schema ImagingStudySchema();
lake::Schema PatientSchema();
// Every tag of every instance: the study's silver id, the three UIDs, the DICOM JSON, lineage.
lake::Schema ImagingMetastoreSchema();
// bronze ClinicalFhir: every clinical FHIR resource as it arrived (any resource type).
lake::Schema ClinicalFhirSchema();

// SHA-256 hex of "<source_system>/<resource_type>/<id>": Fabric's silver id.
std::string SilverId(const std::string& source_system, const std::string& resource_type,
                     const std::string& id);

struct Lineage {
  std::string source_system;             // msftSourceSystem: the namespace
  std::string file_path;                 // msftFilePath: the NDJSON file
  int64_t now_us = 0;                    // msftCreatedDatetime / msftModifiedDatetime
  int64_t fallback_last_updated_us = 0;  // when the resource has no meta.lastUpdated
};

// One row of `schema` (ImagingStudySchema or PatientSchema) for `resource`. Literal references
// ("Type/id") gain `type`, `idOrig` and `id` (the silver id of the target), the original text
// kept in `msftSourceReference`.
lake::Row FlattenResource(const nlohmann::ordered_json& resource, const lake::Schema& schema,
                          const Lineage& lineage);

// Sets the `subject` column (and its `_string` twin) of an ImagingStudy row to a literal
// reference to the Patient with silver id `patient_id` and FHIR id `patient_id_orig`, keeping
// its identifier.
void LinkSubjectColumn(lake::Row* row, const lake::Schema& schema, const std::string& patient_id,
                       const std::string& patient_id_orig);

}  // namespace dicomlake::silver
