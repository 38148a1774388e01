#include "silver/fhir_tables.h"

#include <set>

#include "common/sha256.h"
#include "silver/flatten.h"

namespace dicomlake::silver {
namespace {

using json = nlohmann::ordered_json;
using lake::DataType;
using lake::Field;
using lake::Schema;
using Kind = lake::DataType::Kind;

DataType Str() { return DataType::Primitive(Kind::kString); }
DataType Int() { return DataType::Primitive(Kind::kInteger); }
DataType Bool() { return DataType::Primitive(Kind::kBoolean); }
DataType ListOf(DataType t) { return DataType::Array(std::move(t)); }
Field F(const char* name, DataType t) { return lake::MakeField(name, std::move(t)); }

// FHIR data types as Spark structs (the elements analytics use; see docs/fhir.md).
DataType Extension() {
  return DataType::Struct({F("url", Str()), F("valueCode", Str()), F("valueString", Str()),
                           F("valueBoolean", Bool()), F("valueInteger", Int()),
                           F("valueDateTime", Str())});
}
DataType Coding() {
  return DataType::Struct({F("system", Str()), F("version", Str()), F("code", Str()),
                           F("display", Str()), F("userSelected", Bool()),
                           F("extension", ListOf(Extension()))});
}
DataType CodeableConcept() {
  return DataType::Struct({F("coding", ListOf(Coding())), F("text", Str())});
}
DataType Period() { return DataType::Struct({F("start", Str()), F("end", Str())}); }
DataType Identifier() {
  return DataType::Struct({F("use", Str()), F("type", CodeableConcept()), F("system", Str()),
                           F("value", Str()), F("period", Period())});
}
// Reference, normalised as Fabric does: id/idOrig/type of a literal reference's target, the
// original text in msftSourceReference.
DataType Reference() {
  return DataType::Struct({F("reference", Str()), F("type", Str()), F("identifier", Identifier()),
                           F("display", Str()), F("extension", ListOf(Extension())), F("id", Str()),
                           F("idOrig", Str()), F("msftSourceReference", Str())});
}
DataType Meta() {
  return DataType::Struct({F("versionId", Str()), F("lastUpdated", Str()), F("source", Str()),
                           F("profile", ListOf(Str())), F("tag", ListOf(Coding()))});
}
DataType HumanName() {
  return DataType::Struct({F("use", Str()), F("text", Str()), F("family", Str()),
                           F("given", ListOf(Str())), F("prefix", ListOf(Str())),
                           F("suffix", ListOf(Str())), F("period", Period())});
}
DataType ContactPoint() {
  return DataType::Struct({F("system", Str()), F("value", Str()), F("use", Str()), F("rank", Int()),
                           F("period", Period())});
}
DataType Address() {
  return DataType::Struct({F("use", Str()), F("type", Str()), F("text", Str()),
                           F("line", ListOf(Str())), F("city", Str()), F("district", Str()),
                           F("state", Str()), F("postalCode", Str()), F("country", Str()),
                           F("period", Period())});
}
DataType SeriesType() {
  DataType instance = DataType::Struct(
      {F("uid", Str()), F("sopClass", Coding()), F("number", Int()), F("title", Str())});
  return DataType::Struct({F("uid", Str()), F("number", Int()), F("modality", Coding()),
                           F("description", Str()), F("numberOfInstances", Int()),
                           F("bodySite", Coding()), F("laterality", Coding()), F("started", Str()),
                           F("instance", ListOf(instance)), F("extension", ListOf(Extension()))});
}

void AddHead(Schema* s) {
  s->fields.push_back(lake::StringField("id", false));
  s->fields.push_back(lake::StringField("idOrig"));
  s->fields.push_back(lake::StringField("resourceType"));
  s->fields.push_back(F("meta", Meta()));
  s->fields.push_back(lake::StringField("meta_string"));
  s->fields.push_back(lake::TimestampField("meta_lastUpdated"));
}
void AddComplex(Schema* s, const char* name, DataType t) {
  s->fields.push_back(F(name, std::move(t)));
  s->fields.push_back(lake::StringField(std::string(name) + "_string"));
}
void AddLineage(Schema* s) {
  s->fields.push_back(lake::TimestampField("msftCreatedDatetime"));
  s->fields.push_back(lake::TimestampField("msftModifiedDatetime"));
  s->fields.push_back(lake::StringField("msftFilePath"));
  s->fields.push_back(lake::StringField("msftSourceSystem"));
}

bool IsReferenceType(const DataType& t) {
  return t.kind == Kind::kStruct && t.fields.size() == 8 &&
         t.fields[7].name == "msftSourceReference";
}

// Adds Fabric's normalisation fields to a Reference object.
void NormalizeReference(json* ref, const std::string& source_system) {
  if (!ref->is_object()) return;
  auto it = ref->find("reference");
  if (it == ref->end() || !it->is_string()) return;
  std::string text = it->get<std::string>();
  (*ref)["msftSourceReference"] = text;
  // A relative literal reference "Type/id" (optionally ".../_history/n").
  size_t slash = text.find('/');
  if (slash == std::string::npos || slash == 0 || text.find("://") != std::string::npos) return;
  std::string type = text.substr(0, slash);
  std::string id = text.substr(slash + 1);
  size_t hist = id.find("/_history/");
  if (hist != std::string::npos) id = id.substr(0, hist);
  if (id.empty() || id.find('/') != std::string::npos) return;
  if (!ref->contains("type")) (*ref)["type"] = type;
  (*ref)["idOrig"] = id;
  (*ref)["id"] = SilverId(source_system, type, id);
}

void NormalizeReferences(json* element, const DataType& type, const std::string& source_system) {
  if (IsReferenceType(type)) {
    NormalizeReference(element, source_system);
  } else if (type.kind == Kind::kArray && element->is_array() && IsReferenceType(*type.element)) {
    for (auto& r : *element) NormalizeReference(&r, source_system);
  }
}

}  // namespace

std::string SilverId(const std::string& source_system, const std::string& resource_type,
                     const std::string& id) {
  return Sha256Hex(source_system + "/" + resource_type + "/" + id);
}

Schema ImagingStudySchema() {
  Schema s;
  AddHead(&s);
  AddComplex(&s, "identifier", ListOf(Identifier()));
  s.fields.push_back(lake::StringField("status"));
  AddComplex(&s, "modality", ListOf(Coding()));
  AddComplex(&s, "subject", Reference());
  s.fields.push_back(lake::StringField("started"));
  AddComplex(&s, "referrer", Reference());
  AddComplex(&s, "interpreter", ListOf(Reference()));
  s.fields.push_back(lake::IntField("numberOfSeries"));
  s.fields.push_back(lake::IntField("numberOfInstances"));
  AddComplex(&s, "procedureCode", ListOf(CodeableConcept()));
  AddComplex(&s, "location", Reference());
  AddComplex(&s, "reasonCode", ListOf(CodeableConcept()));
  s.fields.push_back(lake::StringField("description"));
  AddComplex(&s, "series", ListOf(SeriesType()));
  AddComplex(&s, "extension", ListOf(Extension()));
  AddLineage(&s);
  return s;
}

Schema PatientSchema() {
  Schema s;
  AddHead(&s);
  AddComplex(&s, "identifier", ListOf(Identifier()));
  s.fields.push_back(lake::BoolField("active"));
  AddComplex(&s, "name", ListOf(HumanName()));
  AddComplex(&s, "telecom", ListOf(ContactPoint()));
  s.fields.push_back(lake::StringField("gender"));
  s.fields.push_back(lake::StringField("birthDate"));
  s.fields.push_back(lake::BoolField("deceasedBoolean"));
  s.fields.push_back(lake::StringField("deceasedDateTime"));
  AddComplex(&s, "address", ListOf(Address()));
  AddComplex(&s, "maritalStatus", CodeableConcept());
  s.fields.push_back(lake::BoolField("multipleBirthBoolean"));
  s.fields.push_back(lake::IntField("multipleBirthInteger"));
  AddComplex(&s, "generalPractitioner", ListOf(Reference()));
  AddComplex(&s, "managingOrganization", Reference());
  AddComplex(&s, "extension", ListOf(Extension()));
  AddLineage(&s);
  return s;
}

Schema ImagingMetastoreSchema() {
  Schema s;
  s.fields = {lake::StringField("id"),
              lake::StringField("studyInstanceUid"),
              lake::StringField("seriesInstanceUid"),
              lake::StringField("sopInstanceUid"),
              lake::StringField("msftSourceSystem"),
              lake::StringField("metadata_string"),
              lake::StringField("filePath"),
              lake::StringField("archiveMember"),
              lake::StringField("contentHash"),
              lake::TimestampField("sourceModifiedAt"),
              lake::BoolField("msftIsDeleted"),
              lake::TimestampField("msftCreatedDatetime"),
              lake::TimestampField("msftModifiedDatetime")};
  return s;
}

Schema ClinicalFhirSchema() {
  Schema s;
  s.fields = {lake::StringField("resourceType"),      lake::StringField("id"),
              lake::StringField("msftSourceSystem"),  lake::TimestampField("meta_lastUpdated"),
              lake::StringField("resource_string"),   lake::StringField("filePath"),
              lake::LongField("lineNumber"),          lake::StringField("runId"),
              lake::TimestampField("createdDatetime")};
  return s;
}

lake::Row FlattenResource(const json& resource, const Schema& schema, const Lineage& lineage) {
  lake::Row row(schema.fields.size());
  std::string type = resource.value("resourceType", "");
  std::string id_orig = resource.contains("id") && resource["id"].is_string()
                            ? resource["id"].get<std::string>()
                            : "";
  std::set<std::string> twins;
  for (size_t i = 0; i < schema.fields.size(); ++i) {
    const Field& f = schema.fields[i];
    const std::string& n = f.name;
    if (n == "id") {
      row[i] = lake::Value::String(SilverId(lineage.source_system, type, id_orig));
    } else if (n == "idOrig") {
      row[i] = id_orig.empty() ? lake::Value::Null() : lake::Value::String(id_orig);
    } else if (n == "meta_lastUpdated") {
      lake::Value v;
      if (resource.contains("meta") && resource["meta"].is_object())
        v = JsonToValue(resource["meta"].value("lastUpdated", json()), f.type);
      row[i] = v.is_null() ? lake::Value::Timestamp(lineage.fallback_last_updated_us) : v;
    } else if (n == "msftCreatedDatetime" || n == "msftModifiedDatetime") {
      row[i] = lake::Value::Timestamp(lineage.now_us);
    } else if (n == "msftFilePath") {
      row[i] = lake::Value::String(lineage.file_path);
    } else if (n == "msftSourceSystem") {
      row[i] = lake::Value::String(lineage.source_system);
    } else if (n.size() > 7 && n.compare(n.size() - 7, 7, "_string") == 0 &&
               schema.IndexOf(n.substr(0, n.size() - 7)) >= 0) {
      twins.insert(n);  // filled below from its typed column
    } else {
      auto it = resource.find(n);
      if (it == resource.end()) continue;
      json element = *it;
      NormalizeReferences(&element, f.type, lineage.source_system);
      row[i] = JsonToValue(element, f.type);
    }
  }
  for (const auto& twin : twins) {
    int t = schema.IndexOf(twin);
    int base = schema.IndexOf(twin.substr(0, twin.size() - 7));
    json j =
        ValueToJson(row[static_cast<size_t>(base)], schema.fields[static_cast<size_t>(base)].type);
    row[static_cast<size_t>(t)] = j.is_null() ? lake::Value::Null() : lake::Value::String(j.dump());
  }
  return row;
}

void LinkSubjectColumn(lake::Row* row, const Schema& schema, const std::string& patient_id,
                       const std::string& patient_id_orig) {
  int col = schema.IndexOf("subject");
  int twin = schema.IndexOf("subject_string");
  if (col < 0 || twin < 0) return;
  const DataType& type = schema.fields[static_cast<size_t>(col)].type;
  json subject = ValueToJson((*row)[static_cast<size_t>(col)], type);
  if (!subject.is_object()) subject = json::object();
  subject.erase("extension");  // a data-absent-reason no longer applies
  subject["reference"] = "Patient/" + patient_id_orig;
  subject["msftSourceReference"] = "Patient/" + patient_id_orig;
  subject["type"] = "Patient";
  subject["idOrig"] = patient_id_orig;
  subject["id"] = patient_id;
  lake::Value v = JsonToValue(subject, type);
  (*row)[static_cast<size_t>(twin)] = lake::Value::String(ValueToJson(v, type).dump());
  (*row)[static_cast<size_t>(col)] = std::move(v);
}

}  // namespace dicomlake::silver
