// Concept maps for gold (docs/omop.md): DICOM Modality -> OMOP procedure concept, Body Part
// Examined -> OMOP Spec Anatomic Site concept. The shipped maps (data/omop/*.csv, compiled into
// the binary, each row with its source) are used as they are; with an OHDSI Athena vocabulary
// download configured (gold.athena_vocabulary_path: the folder with CONCEPT.csv and
// CONCEPT_RELATIONSHIP.csv, tab-separated as Athena ships them), the lookups use it and override
// the shipped ids:
//   - modality: the standard SNOMED concept of domain Procedure whose name equals the shipped
//     concept name (case-insensitive), as the OHDSI reference ETL does;
//   - body part: the SNOMED concept whose code is the term's SNOMED code (DICOM PS3.16 Table
//     L-1), itself when standard, else its 'Maps to' standard target;
//   - procedure codes (SNOMED, LOINC) of the studies: the standard concept of that code.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/status.h"

namespace dicomlake::lake {
class Engine;
}

namespace dicomlake::omop {

struct ShippedConcept {
  std::string source_value;  // "CT", "CHEST"
  int32_t concept_id = 0;
  std::string concept_name;
  std::string source;  // provenance
};

// The shipped maps, parsed from the compiled-in CSV files.
std::vector<ShippedConcept> ShippedModalityConcepts();
std::vector<ShippedConcept> ShippedBodyPartConcepts();

struct ConceptMaps {
  std::map<std::string, int32_t> modality;   // DICOM Modality -> concept_id
  std::map<std::string, int32_t> body_part;  // Body Part Examined term -> concept_id
  bool athena = false;                       // an Athena vocabulary is loaded in the engine
  int athena_overrides = 0;                  // entries whose id came from Athena
};

// The maps to use. With `athena_dir` set, loads the vocabulary into the engine as the temporary
// tables __athena_concept and __athena_relationship (kept for procedure code lookups); a missing
// or malformed file is kInvalidArgument naming it.
Result<ConceptMaps> LoadConceptMaps(lake::Engine& engine, const std::string& athena_dir);

// Parses RFC 4180 CSV text (header row first) into rows of fields.
std::vector<std::vector<std::string>> ParseCsv(const std::string& text);

}  // namespace dicomlake::omop
