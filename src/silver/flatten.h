// Flattening FHIR resources the Fabric way (ARCHITECTURE section 3): each top-level element of
// the resource is a column; a complex element is a STRUCT or LIST column plus a
// `<name>_string` column holding the same value as JSON text.
//
// The typed column holds what the table's schema models; the `_string` twin is the JSON of the
// typed value (null fields and empty lists left out), so the two always agree. The complete
// original resource stays in bronze (ClinicalFhir, or the ImagingStudy NDJSON files).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "lake/schema.h"
#include "lake/value.h"

namespace dicomlake::silver {

// The value of `j` as `type`: structs take the fields they declare, lists map their items (a
// single JSON value becomes a one-item list), strings take JSON strings (other JSON is stored as
// its text), numbers and booleans convert when they can. Anything else is NULL.
lake::Value JsonToValue(const nlohmann::ordered_json& j, const lake::DataType& type);

// The JSON of a value of `type`, leaving out nulls and empty lists and structs; `null` when
// nothing is left.
nlohmann::ordered_json ValueToJson(const lake::Value& v, const lake::DataType& type);

// Parses FHIR's dateTime/instant ("YYYY", "YYYY-MM", "YYYY-MM-DD", or with time and zone) to
// microseconds since the epoch (UTC). Partial dates take their first instant, a missing zone
// is UTC. False when the text is not a FHIR date or dateTime.
bool ParseFhirInstant(const std::string& text, int64_t* micros);

}  // namespace dicomlake::silver
