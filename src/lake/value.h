// Value: a DuckDB-free, typed cell of a query result or of a row to append. Nested types
// (LIST, STRUCT, MAP) nest Values. This is the currency between the lake layer and its callers,
// so no DuckDB type ever appears in a header (STYLE: DuckDB only in lake/duckdb_*.cc).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace dicomlake::lake {

struct Value {
  enum class Kind {
    kNull,
    kBool,       // b
    kInt,        // i
    kDouble,     // d
    kDecimal,    // s: exact decimal text, e.g. "-12.50"
    kString,     // s: UTF-8
    kBlob,       // s: raw bytes
    kDate,       // i: days since 1970-01-01
    kTimestamp,  // i: microseconds since the epoch, UTC
    kList,       // items
    kStruct,     // names[k] -> items[k]
    kMap,        // items[2k] -> items[2k+1]
    kOther,      // s: the engine's text rendering of a type Value does not model (TIME, UUID, ...)
  };

  Kind kind = Kind::kNull;
  bool b = false;
  int64_t i = 0;
  double d = 0;
  std::string s;
  std::vector<Value> items;
  std::vector<std::string> names;

  static Value Null() { return {}; }
  static Value Bool(bool v) {
    Value x;
    x.kind = Kind::kBool;
    x.b = v;
    return x;
  }
  static Value Int(int64_t v) {
    Value x;
    x.kind = Kind::kInt;
    x.i = v;
    return x;
  }
  static Value Double(double v) {
    Value x;
    x.kind = Kind::kDouble;
    x.d = v;
    return x;
  }
  static Value String(std::string v) {
    Value x;
    x.kind = Kind::kString;
    x.s = std::move(v);
    return x;
  }
  static Value Blob(std::string v) {
    Value x;
    x.kind = Kind::kBlob;
    x.s = std::move(v);
    return x;
  }
  static Value Date(int64_t days) {
    Value x;
    x.kind = Kind::kDate;
    x.i = days;
    return x;
  }
  static Value Timestamp(int64_t us) {
    Value x;
    x.kind = Kind::kTimestamp;
    x.i = us;
    return x;
  }
  static Value List(std::vector<Value> v) {
    Value x;
    x.kind = Kind::kList;
    x.items = std::move(v);
    return x;
  }
  static Value Struct(std::vector<std::string> names, std::vector<Value> v) {
    Value x;
    x.kind = Kind::kStruct;
    x.names = std::move(names);
    x.items = std::move(v);
    return x;
  }
  // Entries as alternating key, value.
  static Value Map(std::vector<Value> kv) {
    Value x;
    x.kind = Kind::kMap;
    x.items = std::move(kv);
    return x;
  }

  bool is_null() const { return kind == Kind::kNull; }
  // The text of a string, decimal, blob or other cell; "" for NULL.
  const std::string& text() const {
    static const std::string kEmpty;
    return is_null() ? kEmpty : s;
  }

  // JSON text: numbers as numbers, dates "YYYY-MM-DD", timestamps ISO-8601 UTC with
  // microseconds, blobs base64, lists arrays, structs and maps objects (map keys as text).
  std::string ToJson() const;
  // Text for an aligned table or CSV: NULL as empty, strings verbatim, nested values as JSON,
  // timestamps "YYYY-MM-DD HH:MM:SS[.ffffff]" (UTC).
  std::string ToDisplay() const;

  friend bool operator==(const Value& a, const Value& b);
};

using Row = std::vector<Value>;

}  // namespace dicomlake::lake
