// De-identification of clinical FHIR resources (issue 14, scope 4) with the same key and the
// same options as the DICOM files, so a research lake's Patient links to its images exactly as
// in the identified lake: an identifier equal to the patient's DICOM PatientID becomes the same
// pseudonym (Key::PatientPseudonym), dates move by the same per-patient shift, resource ids and
// references are keyed. Pure JSON work (no DCMTK); docs/deid.md lists every rule.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "common/status.h"
#include "deid/deidentifier.h"
#include "deid/keyed.h"

namespace dicomlake::deid {

// The system every pseudonymized identifier other than the PatientID gets.
inline constexpr const char* kPseudonymSystem = "urn:dicomlake:pseudonym";

struct FhirDeidContext {
  const Key* key = nullptr;
  DeidSettings settings;
  // The system of the PatientID pseudonym: what the research lake's FHIR stage writes as the
  // ImagingStudy subject's system, so that silver links the two.
  std::string patient_identifier_system;
};

// The new id of resource `type`/`id`: 32 lower-case hex digits of HMAC-SHA256(key,
// "FhirId" NUL type "/" id) (a valid FHIR id: at most 64 of [A-Za-z0-9-.]).
std::string NewResourceId(const Key& key, const std::string& type, const std::string& id);

// `resource` de-identified for the patient whose DICOM PatientID is `patient_id` (its date
// shift; identifiers holding it become its pseudonym). At any depth: narrative, names, telecom,
// addresses, photos, contacts, notes, comments, descriptions, free-text strings and extensions
// are removed; identifiers pseudonymized; references and ids keyed; dates kept, shifted, or
// removed per the temporal options (a Patient's birthDate is reduced to its year without one);
// gender kept only with Retain Patient Characteristics. kInvalidArgument when `resource` is not
// a resource (an object with a resourceType).
Result<nlohmann::ordered_json> DeidentifyResource(const nlohmann::ordered_json& resource,
                                                  const std::string& patient_id,
                                                  const FhirDeidContext& context);

}  // namespace dicomlake::deid
