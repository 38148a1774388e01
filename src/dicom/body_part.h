// Body Part Examined (0018,0015) defined terms and their SNOMED CT concepts, from DICOM PS3.16
// Annex L (Table L-1). Used by FHIR (ImagingStudy.series.bodySite) and OMOP (the shipped
// anatomic site map is keyed by the same normalised terms).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dicomlake::dicom {

struct SnomedConcept {
  std::string code;     // SNOMED CT concept id, e.g. "51185008"
  std::string display;  // its meaning as PS3.16 writes it, e.g. "Chest"
};

// A term as the table keys it: upper case, without spaces, '_' and '-' ("chest abdomen" ->
// "CHESTABDOMEN"). The SQL form of this normalisation is in omop/sql (keep them equal).
std::string NormalizeBodyPartTerm(std::string_view body_part);
// The SNOMED CT concept of a Body Part Examined value; nullopt for terms not in Table L-1.
std::optional<SnomedConcept> BodyPartToSnomed(std::string_view body_part);
// Every normalised term BodyPartToSnomed knows, in order.
std::vector<std::string> BodyPartTerms();

}  // namespace dicomlake::dicom
