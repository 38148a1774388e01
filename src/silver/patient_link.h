// Finding silver Patients by identifier, to link ImagingStudy.subject (issue 4, ARCHITECTURE
// section 4): a study's subject identifier (system, PatientID) matches a Patient whose
// `identifier` holds the same system and value, exactly. When several patients match (the same
// identifier from two source systems), the one with the smallest silver id is taken, so the
// choice is the same on every run.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"
#include "lake/value.h"

namespace dicomlake::lake {
class Engine;
class Lake;
}  // namespace dicomlake::lake

namespace dicomlake::silver {

struct PatientRef {
  std::string id;       // silver Patient.id
  std::string id_orig;  // the Patient resource's own id
};

using IdentifierKey = std::pair<std::string, std::string>;  // (system, value)

// The patients matching `keys`; keys without a match are absent. No Patient table: empty.
Result<std::map<IdentifierKey, PatientRef>> FindPatients(const lake::Lake& lake,
                                                         lake::Engine& engine,
                                                         const std::vector<IdentifierKey>& keys);

// The silver ImagingStudy rows (all columns, schema order) whose subject has no Patient
// reference yet and whose subject identifier is one of `keys`: the studies a newly arrived
// Patient links. No ImagingStudy table: none.
Result<std::vector<lake::Row>> FindUnlinkedStudies(const lake::Lake& lake, lake::Engine& engine,
                                                   const std::vector<IdentifierKey>& keys);

}  // namespace dicomlake::silver
