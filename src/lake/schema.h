// Table schemas: Delta's Spark StructType JSON (PROTOCOL "Schema Serialization Format"), and
// the DuckDB types used to write them. Only Spark-compatible types exist here (ARCHITECTURE
// section 5): no TIME, unsigned, UUID, HUGEINT or nanosecond types.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/status.h"

namespace dicomlake::lake {

struct Field;

struct DataType {
  enum class Kind {
    kString,
    kLong,
    kInteger,
    kShort,
    kByte,
    kFloat,
    kDouble,
    kBoolean,
    kBinary,
    kDate,
    kTimestamp,  // microseconds, UTC (Parquet INT64 TIMESTAMP(MICROS, isAdjustedToUTC=true))
    kDecimal,
    kArray,
    kMap,
    kStruct,
  };
  Kind kind = Kind::kString;
  int precision = 10, scale = 0;               // kDecimal
  std::shared_ptr<const DataType> element;     // kArray
  bool contains_null = true;                   // kArray
  std::shared_ptr<const DataType> key, value;  // kMap
  bool value_contains_null = true;             // kMap
  std::vector<Field> fields;                   // kStruct

  static DataType Primitive(Kind k) {
    DataType t;
    t.kind = k;
    return t;
  }
  static DataType Decimal(int precision, int scale);
  static DataType Array(DataType element, bool contains_null = true);
  static DataType Map(DataType key, DataType value, bool value_contains_null = true);
  static DataType Struct(std::vector<Field> fields);

  bool is_primitive() const {
    return kind != Kind::kArray && kind != Kind::kMap && kind != Kind::kStruct;
  }
  // The DuckDB SQL type, e.g. "STRUCT(\"a\" VARCHAR[])".
  std::string DuckDbType() const;
  friend bool operator==(const DataType& a, const DataType& b);
};

struct Field {
  std::string name;
  DataType type;
  bool nullable = true;
  friend bool operator==(const Field& a, const Field& b);
};

// Shorthands for schema definitions.
Field StringField(std::string name, bool nullable = true);
Field LongField(std::string name, bool nullable = true);
Field IntField(std::string name, bool nullable = true);
Field DoubleField(std::string name, bool nullable = true);
Field BoolField(std::string name, bool nullable = true);
Field DateField(std::string name, bool nullable = true);
Field TimestampField(std::string name, bool nullable = true);
Field MakeField(std::string name, DataType type, bool nullable = true);

struct Schema {
  std::vector<Field> fields;

  // Spark StructType JSON on one line, `"metadata":{}` on every field.
  std::string ToJson() const;
  // Parses a schemaString. Errors name what is wrong (kCorrupt).
  static Result<Schema> FromJson(const std::string& json);

  // Checks the rules of PROTOCOL "Schema Serialization Format" and of Spark without column
  // mapping: names unique regardless of case, no ' ,;{}()\n\t=' in names, decimal precision
  // 1..38, scale 0..precision. Nested struct fields are checked too.
  Status Validate() const;

  // "\"a\" VARCHAR, \"b\" BIGINT" for CREATE TABLE.
  std::string DuckDbColumns() const;
  // "CAST(NULL AS VARCHAR) AS \"a\", ..." : an empty relation of this schema needs
  // "SELECT <this> LIMIT 0".
  std::string DuckDbNullProjection() const;
  // Index of a top-level field by exact name, or -1.
  int IndexOf(const std::string& name) const;

  friend bool operator==(const Schema& a, const Schema& b) { return a.fields == b.fields; }
};

}  // namespace dicomlake::lake
