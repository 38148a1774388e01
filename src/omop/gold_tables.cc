#include "omop/gold_tables.h"

namespace dicomlake::omop {
namespace {

using lake::DateField;
using lake::IntField;
using lake::StringField;
using lake::TimestampField;

void AddLineage(lake::Schema* s) {
  s->fields.push_back(StringField("msftSourceRecordId"));
  s->fields.push_back(StringField("msftSourceTableName"));
  s->fields.push_back(TimestampField("msftModifiedDatetime"));
}

}  // namespace

lake::Schema PersonSchema() {
  lake::Schema s;
  s.fields = {IntField("person_id", false),
              IntField("gender_concept_id", false),
              IntField("year_of_birth", false),
              IntField("month_of_birth"),
              IntField("day_of_birth"),
              TimestampField("birth_datetime"),
              IntField("race_concept_id", false),
              IntField("ethnicity_concept_id", false),
              IntField("location_id"),
              IntField("provider_id"),
              IntField("care_site_id"),
              StringField("person_source_value"),
              StringField("gender_source_value"),
              IntField("gender_source_concept_id"),
              StringField("race_source_value"),
              IntField("race_source_concept_id"),
              StringField("ethnicity_source_value"),
              IntField("ethnicity_source_concept_id")};
  AddLineage(&s);
  return s;
}

lake::Schema ProcedureOccurrenceSchema() {
  lake::Schema s;
  s.fields = {IntField("procedure_occurrence_id", false),
              IntField("person_id", false),
              IntField("procedure_concept_id", false),
              DateField("procedure_date", false),
              TimestampField("procedure_datetime"),
              DateField("procedure_end_date"),
              TimestampField("procedure_end_datetime"),
              IntField("procedure_type_concept_id", false),
              IntField("modifier_concept_id"),
              IntField("quantity"),
              IntField("provider_id"),
              IntField("visit_occurrence_id"),
              IntField("visit_detail_id"),
              StringField("procedure_source_value"),
              IntField("procedure_source_concept_id"),
              StringField("modifier_source_value")};
  AddLineage(&s);
  return s;
}

lake::Schema ImageOccurrenceSchema() {
  lake::Schema s;
  s.fields = {IntField("image_occurrence_id", false), IntField("person_id", false),
              IntField("procedure_occurrence_id", false), IntField("visit_occurrence_id"),
              IntField("anatomic_site_concept_id"), StringField("wadors_uri"),
              StringField("local_path"), DateField("image_occurrence_date", false),
              StringField("image_study_uid", false), StringField("image_series_uid", false),
              IntField("modality_concept_id", false),
              // Fabric's additions: the modality as it appears in the source, and lineage.
              StringField("modality_source_value"), StringField("anatomic_site_source_value")};
  AddLineage(&s);
  return s;
}

lake::Schema OmopIdMappingSchema() {
  lake::Schema s;
  s.fields = {StringField("resource_type", false), StringField("source_id", false),
              IntField("omop_id", false), TimestampField("createdDatetime")};
  return s;
}

int StandardColumnCount(const lake::Schema& schema) {
  int n = 0;
  for (const auto& f : schema.fields) {
    if (f.name.rfind("msft", 0) == 0 || f.name == "modality_source_value" ||
        f.name == "anatomic_site_source_value")
      break;
    ++n;
  }
  return n;
}

}  // namespace dicomlake::omop
