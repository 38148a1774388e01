// The gold tables (ARCHITECTURE section 3; docs/omop.md documents every column's source):
// OMOP CDM 5.4 `person` and `procedure_occurrence`, the OHDSI medical imaging extension's
// `image_occurrence` (MI-CDM columns in MI-CDM order, then Fabric's extra and lineage columns),
// and `omop_id_mapping`. Types follow the official Spark DDL (integer, date, TIMESTAMP,
// STRING); NOT NULL columns of the CDM are non-nullable fields.
#pragma once

#include "lake/schema.h"

namespace dicomlake::omop {

lake::Schema PersonSchema();
lake::Schema ProcedureOccurrenceSchema();
lake::Schema ImageOccurrenceSchema();
// (resource_type, source_id) -> omop_id: the integer ids, stable across runs.
lake::Schema OmopIdMappingSchema();

// The number of leading columns that are the OMOP / MI-CDM definition (the rest are lineage).
int StandardColumnCount(const lake::Schema& schema);

}  // namespace dicomlake::omop
