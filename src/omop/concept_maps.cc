#include "omop/concept_maps.h"

#include <optional>

#include "common/fs.h"
#include "dicom/body_part.h"
#include "lake/engine.h"

namespace dicomlake::omop {

extern const char* const kModalityConceptsCsv;
extern const char* const kBodyPartConceptsCsv;

namespace {

std::vector<ShippedConcept> FromCsv(const char* text) {
  std::vector<ShippedConcept> out;
  auto rows = ParseCsv(text);
  for (size_t i = 1; i < rows.size(); ++i) {
    const auto& r = rows[i];
    if (r.size() < 4) continue;
    ShippedConcept c;
    c.source_value = r[0];
    c.concept_id = static_cast<int32_t>(std::stol(r[1]));
    c.concept_name = r[2];
    c.source = r[3];
    out.push_back(std::move(c));
  }
  return out;
}

Result<int32_t> QueryId(lake::Engine& engine, const std::string& sql) {
  DL_ASSIGN_OR_RETURN(lake::QueryResult r, engine.Query(sql));
  if (r.rows.empty() || r.rows[0][0].is_null()) return int32_t{0};
  return static_cast<int32_t>(r.rows[0][0].i);
}

}  // namespace

std::vector<std::vector<std::string>> ParseCsv(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  std::string field;
  bool quoted = false, any = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c == '"') {
      quoted = true;
      any = true;
    } else if (c == ',') {
      row.push_back(std::move(field));
      field.clear();
      any = true;
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      if (any || !field.empty()) {
        row.push_back(std::move(field));
        rows.push_back(std::move(row));
      }
      row.clear();
      field.clear();
      any = false;
    } else {
      field += c;
      any = true;
    }
  }
  if (any || !field.empty()) {
    row.push_back(std::move(field));
    rows.push_back(std::move(row));
  }
  return rows;
}

std::vector<ShippedConcept> ShippedModalityConcepts() { return FromCsv(kModalityConceptsCsv); }
std::vector<ShippedConcept> ShippedBodyPartConcepts() { return FromCsv(kBodyPartConceptsCsv); }

namespace {

// Loads the two Athena files as temporary tables __athena_concept and __athena_relationship.
Status LoadAthena(lake::Engine& engine, const std::string& athena_dir) {
  std::string concept_csv = fs::Join(athena_dir, "CONCEPT.csv");
  std::string relationship_csv = fs::Join(athena_dir, "CONCEPT_RELATIONSHIP.csv");
  for (const auto& f : {concept_csv, relationship_csv}) {
    if (!fs::Exists(f))
      return InvalidArgument("gold.athena_vocabulary_path: " + f +
                             " is missing (download the vocabulary from athena.ohdsi.org and "
                             "point the key at its folder)");
  }
  auto load = [&](const std::string& table, const std::string& path,
                  const std::string& columns) -> Status {
    Status st = engine.Execute("CREATE OR REPLACE TEMP TABLE " + table + " AS SELECT " + columns +
                               " FROM read_csv(" + lake::QuoteLiteral(path) +
                               ", delim='\\t', header=true, quote='', all_varchar=true)");
    if (!st.ok()) return InvalidArgument(path + ": not an Athena vocabulary file: " + st.message());
    return Status::Ok();
  };
  DL_RETURN_IF_ERROR(load("__athena_concept", concept_csv,
                          "TRY_CAST(concept_id AS INTEGER) AS concept_id, concept_name, domain_id, "
                          "vocabulary_id, standard_concept, concept_code, invalid_reason"));
  return load("__athena_relationship", relationship_csv,
              "TRY_CAST(concept_id_1 AS INTEGER) AS concept_id_1, "
              "TRY_CAST(concept_id_2 AS INTEGER) AS concept_id_2, relationship_id, "
              "invalid_reason");
}

// Modalities: the standard SNOMED procedure concept of the shipped concept's name.
Status OverrideModalities(lake::Engine& engine, const std::vector<ShippedConcept>& modalities,
                          ConceptMaps* maps) {
  for (const auto& c : modalities) {
    DL_ASSIGN_OR_RETURN(
        int32_t id,
        QueryId(engine,
                "SELECT min(concept_id) FROM __athena_concept WHERE lower(concept_name) = "
                "lower(" +
                    lake::QuoteLiteral(c.concept_name) +
                    ") AND domain_id = 'Procedure' AND standard_concept = 'S' AND "
                    "vocabulary_id = 'SNOMED' AND coalesce(invalid_reason, '') = ''"));
    if (id != 0 && id != maps->modality[c.source_value]) {
      maps->modality[c.source_value] = id;
      maps->athena_overrides++;
    }
  }
  return Status::Ok();
}

// Body parts: the SNOMED concept of the term's PS3.16 code, or its 'Maps to' standard target.
Status OverrideBodyParts(lake::Engine& engine, ConceptMaps* maps) {
  for (const auto& term : dicom::BodyPartTerms()) {
    std::optional<dicom::SnomedConcept> site = dicom::BodyPartToSnomed(term);
    if (!site) continue;
    std::string lit = lake::QuoteLiteral(site->code);
    DL_ASSIGN_OR_RETURN(
        int32_t id,
        QueryId(engine,
                "SELECT coalesce(min(CASE WHEN c.standard_concept = 'S' THEN c.concept_id END), "
                "min(t.concept_id)) FROM __athena_concept c LEFT JOIN __athena_relationship r ON "
                "r.concept_id_1 = c.concept_id AND r.relationship_id = 'Maps to' AND "
                "coalesce(r.invalid_reason, '') = '' LEFT JOIN __athena_concept t ON t.concept_id "
                "= r.concept_id_2 AND t.standard_concept = 'S' WHERE c.vocabulary_id = 'SNOMED' "
                "AND c.concept_code = " +
                    lit));
    auto it = maps->body_part.find(term);
    if (id != 0 && (it == maps->body_part.end() || it->second != id)) {
      maps->body_part[term] = id;
      maps->athena_overrides++;
    }
  }
  return Status::Ok();
}

}  // namespace

Result<ConceptMaps> LoadConceptMaps(lake::Engine& engine, const std::string& athena_dir) {
  ConceptMaps maps;
  auto modalities = ShippedModalityConcepts();
  for (const auto& c : modalities) maps.modality[c.source_value] = c.concept_id;
  for (const auto& c : ShippedBodyPartConcepts()) maps.body_part[c.source_value] = c.concept_id;
  if (athena_dir.empty()) return maps;
  DL_RETURN_IF_ERROR(LoadAthena(engine, athena_dir));
  maps.athena = true;
  DL_RETURN_IF_ERROR(OverrideModalities(engine, modalities, &maps));
  DL_RETURN_IF_ERROR(OverrideBodyParts(engine, &maps));
  return maps;
}

}  // namespace dicomlake::omop
