// `dicomlake deid-check RESEARCH_LAKE --against LAKE` (issue 14; docs/deid.md): looks for the
// identified lake's identifying values anywhere in a research lake. Independent of what the
// de-identifier did: the values come from the identified lake itself, the search covers every
// cell of every table of the research lake (bronze DICOM JSON of every attribute at every
// depth, FHIR, silver, gold, admin) and every text file under its Files/ folders (NDJSON, CSV,
// JSON).
//
// Identifying values (from every bronze.ImagingDicom row and every clinical FHIR resource of
// the identified lake):
//   - each DICOM attribute, at any depth, that the research lake's profile (PS3.15 Table E.1-1
//     with the options its files record in (0012,0064)) removes, empties, replaces or gives a
//     new UID: UIDs and identifiers as whole tokens, person names by component (3 characters or
//     more), other text (institutions, addresses, descriptions) as whole values of 8 characters
//     or more or of several words;
//   - each FHIR name component, identifier value, telecom value and address line, city and
//     postal code;
//   - each patient's birth date, compared patient by patient (through the id map the deid run
//     wrote on the identified side) unless the research lake keeps full dates.
// Values too short to identify anyone (identifiers of fewer than 4 characters, all-digit ones of
// fewer than 6) are not looked for; docs/deid.md says so.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "lake/engine.h"
#include "lake/lake.h"

namespace dicomlake::pipeline {

struct DeidFinding {
  std::string kind;   // what the value is in the identified lake: "Patient's Name", "birth date"
  std::string value;  // the identifying value found
  std::string where;  // "silver.ImagingMetastore.metadata_string", or a file path
  int64_t count = 0;  // cells or lines it was found in
};

struct DeidCheckReport {
  int64_t values = 0;                // identifying values looked for
  int64_t cells = 0;                 // table cells searched
  int64_t files = 0;                 // text files searched
  int64_t patients_compared = 0;     // birth dates compared patient by patient
  std::vector<std::string> options;  // the de-identification options the research lake records
  std::vector<DeidFinding> findings;
  std::vector<std::string> notes;  // what could not be checked, and why
  std::string ToJson() const;
};

// Both lakes' views must be registered in their engines. kInvalidArgument when the two are the
// same lake.
Result<DeidCheckReport> CheckResearchLake(const lake::Lake& research, lake::Engine& research_engine,
                                          const lake::Lake& identified,
                                          lake::Engine& identified_engine);

}  // namespace dicomlake::pipeline
