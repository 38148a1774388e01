#include "lake/schema.h"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>
#include <set>

#include "lake/engine.h"

namespace dicomlake::lake {
namespace {

using json = nlohmann::ordered_json;
using K = DataType::Kind;

struct PrimitiveName {
  K kind;
  const char* spark;
  const char* duckdb;
};
constexpr PrimitiveName kPrimitives[] = {
    {K::kString, "string", "VARCHAR"},
    {K::kLong, "long", "BIGINT"},
    {K::kInteger, "integer", "INTEGER"},
    {K::kShort, "short", "SMALLINT"},
    {K::kByte, "byte", "TINYINT"},
    {K::kFloat, "float", "FLOAT"},
    {K::kDouble, "double", "DOUBLE"},
    {K::kBoolean, "boolean", "BOOLEAN"},
    {K::kBinary, "binary", "BLOB"},
    {K::kDate, "date", "DATE"},
    {K::kTimestamp, "timestamp", "TIMESTAMPTZ"},
};

json TypeToJson(const DataType& t);

json FieldToJson(const Field& f) {
  json j;
  j["name"] = f.name;
  j["type"] = TypeToJson(f.type);
  j["nullable"] = f.nullable;
  j["metadata"] = json::object();
  return j;
}

json TypeToJson(const DataType& t) {
  for (const auto& p : kPrimitives) {
    if (p.kind == t.kind) return p.spark;
  }
  switch (t.kind) {
    case K::kDecimal:
      return "decimal(" + std::to_string(t.precision) + "," + std::to_string(t.scale) + ")";
    case K::kArray: {
      json j;
      j["type"] = "array";
      j["elementType"] = TypeToJson(*t.element);
      j["containsNull"] = t.contains_null;
      return j;
    }
    case K::kMap: {
      json j;
      j["type"] = "map";
      j["keyType"] = TypeToJson(*t.key);
      j["valueType"] = TypeToJson(*t.value);
      j["valueContainsNull"] = t.value_contains_null;
      return j;
    }
    case K::kStruct: {
      json j;
      j["type"] = "struct";
      j["fields"] = json::array();
      for (const auto& f : t.fields) j["fields"].push_back(FieldToJson(f));
      return j;
    }
    default:
      return "string";
  }
}

Result<DataType> TypeFromJson(const json& j, const std::string& where);

Result<Field> FieldFromJson(const json& j, const std::string& where) {
  if (!j.is_object() || !j.contains("name") || !j["name"].is_string() || !j.contains("type")) {
    return Corrupt(where + ": a field needs \"name\" and \"type\"");
  }
  Field f;
  f.name = j["name"].get<std::string>();
  DL_ASSIGN_OR_RETURN(f.type, TypeFromJson(j["type"], where + "." + f.name));
  f.nullable = !j.contains("nullable") || !j["nullable"].is_boolean() || j["nullable"].get<bool>();
  return f;
}

Result<DataType> TypeFromJson(const json& j, const std::string& where) {
  if (j.is_string()) {
    std::string name = j.get<std::string>();
    for (const auto& p : kPrimitives) {
      if (name == p.spark) return DataType::Primitive(p.kind);
    }
    int precision = 0, scale = 0;
    if (std::sscanf(name.c_str(), "decimal(%d,%d)", &precision, &scale) == 2) {
      return DataType::Decimal(precision, scale);
    }
    if (name == "decimal") return DataType::Decimal(10, 0);
    return Unsupported(where + ": type \"" + name + "\" is not supported");
  }
  if (!j.is_object() || !j.contains("type") || !j["type"].is_string()) {
    return Corrupt(where + ": malformed type");
  }
  std::string type = j["type"].get<std::string>();
  if (type == "array") {
    if (!j.contains("elementType")) return Corrupt(where + ": array without elementType");
    DL_ASSIGN_OR_RETURN(DataType element, TypeFromJson(j["elementType"], where + "[]"));
    bool contains_null = !j.contains("containsNull") || !j["containsNull"].is_boolean() ||
                         j["containsNull"].get<bool>();
    return DataType::Array(std::move(element), contains_null);
  }
  if (type == "map") {
    if (!j.contains("keyType") || !j.contains("valueType"))
      return Corrupt(where + ": map without key or value type");
    DL_ASSIGN_OR_RETURN(DataType key, TypeFromJson(j["keyType"], where + ".key"));
    DL_ASSIGN_OR_RETURN(DataType value, TypeFromJson(j["valueType"], where + ".value"));
    bool vcn = !j.contains("valueContainsNull") || !j["valueContainsNull"].is_boolean() ||
               j["valueContainsNull"].get<bool>();
    return DataType::Map(std::move(key), std::move(value), vcn);
  }
  if (type == "struct") {
    if (!j.contains("fields") || !j["fields"].is_array())
      return Corrupt(where + ": struct without fields");
    std::vector<Field> fields;
    for (const auto& fj : j["fields"]) {
      DL_ASSIGN_OR_RETURN(Field f, FieldFromJson(fj, where));
      fields.push_back(std::move(f));
    }
    return DataType::Struct(std::move(fields));
  }
  return Unsupported(where + ": type \"" + type + "\" is not supported");
}

Status ValidateFields(const std::vector<Field>& fields, const std::string& where) {
  std::set<std::string> seen;
  for (const auto& f : fields) {
    if (f.name.empty()) return InvalidArgument(where + ": empty column name");
    if (f.name.find_first_of(" ,;{}()\n\t=") != std::string::npos) {
      return InvalidArgument(where + ": column name \"" + f.name +
                             "\" has a character Spark rejects without column mapping");
    }
    std::string lower = f.name;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    if (!seen.insert(lower).second) {
      return InvalidArgument(where + ": column name \"" + f.name +
                             "\" is not unique (case-insensitive)");
    }
    std::vector<const DataType*> stack{&f.type};
    while (!stack.empty()) {
      const DataType* t = stack.back();
      stack.pop_back();
      if (t->kind == K::kDecimal &&
          (t->precision < 1 || t->precision > 38 || t->scale < 0 || t->scale > t->precision)) {
        return InvalidArgument(where + ": column \"" + f.name + "\" has an invalid decimal type");
      }
      if (t->kind == K::kArray) stack.push_back(t->element.get());
      if (t->kind == K::kMap) {
        stack.push_back(t->key.get());
        stack.push_back(t->value.get());
      }
      if (t->kind == K::kStruct)
        DL_RETURN_IF_ERROR(ValidateFields(t->fields, where + "." + f.name));
    }
  }
  return Status::Ok();
}

}  // namespace

DataType DataType::Decimal(int precision, int scale) {
  DataType t;
  t.kind = K::kDecimal;
  t.precision = precision;
  t.scale = scale;
  return t;
}

DataType DataType::Array(DataType element, bool contains_null) {
  DataType t;
  t.kind = K::kArray;
  t.element = std::make_shared<const DataType>(std::move(element));
  t.contains_null = contains_null;
  return t;
}

DataType DataType::Map(DataType key, DataType value, bool value_contains_null) {
  DataType t;
  t.kind = K::kMap;
  t.key = std::make_shared<const DataType>(std::move(key));
  t.value = std::make_shared<const DataType>(std::move(value));
  t.value_contains_null = value_contains_null;
  return t;
}

DataType DataType::Struct(std::vector<Field> fields) {
  DataType t;
  t.kind = K::kStruct;
  t.fields = std::move(fields);
  return t;
}

std::string DataType::DuckDbType() const {
  for (const auto& p : kPrimitives) {
    if (p.kind == kind) return p.duckdb;
  }
  switch (kind) {
    case K::kDecimal:
      return "DECIMAL(" + std::to_string(precision) + "," + std::to_string(scale) + ")";
    case K::kArray:
      return element->DuckDbType() + "[]";
    case K::kMap:
      return "MAP(" + key->DuckDbType() + ", " + value->DuckDbType() + ")";
    case K::kStruct: {
      std::string s = "STRUCT(";
      for (size_t k = 0; k < fields.size(); ++k) {
        if (k) s += ", ";
        s += QuoteIdent(fields[k].name) + " " + fields[k].type.DuckDbType();
      }
      return s + ")";
    }
    default:
      return "VARCHAR";
  }
}

bool operator==(const DataType& a, const DataType& b) {
  if (a.kind != b.kind) return false;
  switch (a.kind) {
    case K::kDecimal:
      return a.precision == b.precision && a.scale == b.scale;
    case K::kArray:
      return *a.element == *b.element && a.contains_null == b.contains_null;
    case K::kMap:
      return *a.key == *b.key && *a.value == *b.value &&
             a.value_contains_null == b.value_contains_null;
    case K::kStruct:
      return a.fields == b.fields;
    default:
      return true;
  }
}

bool operator==(const Field& a, const Field& b) {
  return a.name == b.name && a.nullable == b.nullable && a.type == b.type;
}

Field MakeField(std::string name, DataType type, bool nullable) {
  return Field{std::move(name), std::move(type), nullable};
}
Field StringField(std::string n, bool nullable) {
  return MakeField(std::move(n), DataType::Primitive(K::kString), nullable);
}
Field LongField(std::string n, bool nullable) {
  return MakeField(std::move(n), DataType::Primitive(K::kLong), nullable);
}
Field IntField(std::string n, bool nullable) {
  return MakeField(std::move(n), DataType::Primitive(K::kInteger), nullable);
}
Field DoubleField(std::string n, bool nullable) {
  return MakeField(std::move(n), DataType::Primitive(K::kDouble), nullable);
}
Field BoolField(std::string n, bool nullable) {
  return MakeField(std::move(n), DataType::Primitive(K::kBoolean), nullable);
}
Field DateField(std::string n, bool nullable) {
  return MakeField(std::move(n), DataType::Primitive(K::kDate), nullable);
}
Field TimestampField(std::string n, bool nullable) {
  return MakeField(std::move(n), DataType::Primitive(K::kTimestamp), nullable);
}

std::string Schema::ToJson() const {
  json j;
  j["type"] = "struct";
  j["fields"] = json::array();
  for (const auto& f : fields) j["fields"].push_back(FieldToJson(f));
  return j.dump();
}

Result<Schema> Schema::FromJson(const std::string& text) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded()) return Corrupt("schemaString is not valid JSON");
  if (!j.is_object() || j.value("type", "") != "struct" || !j.contains("fields") ||
      !j["fields"].is_array()) {
    return Corrupt("schemaString is not a struct type");
  }
  Schema schema;
  for (const auto& fj : j["fields"]) {
    DL_ASSIGN_OR_RETURN(Field f, FieldFromJson(fj, "schema"));
    schema.fields.push_back(std::move(f));
  }
  return schema;
}

Status Schema::Validate() const {
  if (fields.empty()) return InvalidArgument("schema has no columns");
  return ValidateFields(fields, "schema");
}

std::string Schema::DuckDbColumns() const {
  std::string s;
  for (size_t k = 0; k < fields.size(); ++k) {
    if (k) s += ", ";
    s += QuoteIdent(fields[k].name) + " " + fields[k].type.DuckDbType();
  }
  return s;
}

std::string Schema::DuckDbNullProjection() const {
  std::string s;
  for (size_t k = 0; k < fields.size(); ++k) {
    if (k) s += ", ";
    s += "CAST(NULL AS " + fields[k].type.DuckDbType() + ") AS " + QuoteIdent(fields[k].name);
  }
  return s;
}

int Schema::IndexOf(const std::string& name) const {
  for (size_t k = 0; k < fields.size(); ++k) {
    if (fields[k].name == name) return static_cast<int>(k);
  }
  return -1;
}

}  // namespace dicomlake::lake
