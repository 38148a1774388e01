// Appender over DuckDB's C Appender. Primitive Values are handed over in their natural DuckDB
// type and DuckDB casts them to the column type; nested Values (LIST, STRUCT, MAP) must be
// built against the exact column type, so their conversion follows the logical type.
#include <duckdb.h>

#include <vector>

#include "common/utf8.h"
#include "lake/duckdb_internal.h"
#include "lake/engine.h"

namespace dicomlake::lake {
namespace {

// Returns a new duckdb_value (owned by the caller) for `v` in the shape of `type`.
duckdb_value ToDuckValue(const Value& v, duckdb_logical_type type);

duckdb_value ToDuckList(const Value& v, duckdb_logical_type type) {
  duckdb_logical_type child = duckdb_list_type_child_type(type);
  std::vector<duckdb_value> items;
  for (const Value& item : v.items) items.push_back(ToDuckValue(item, child));
  // DuckDB refuses a null array pointer even for an empty list.
  duckdb_value none = nullptr;
  duckdb_value out =
      duckdb_create_list_value(child, items.empty() ? &none : items.data(), items.size());
  for (auto& item : items) duckdb_destroy_value(&item);
  duckdb_destroy_logical_type(&child);
  return out;
}

duckdb_value ToDuckStruct(const Value& v, duckdb_logical_type type) {
  idx_t n = duckdb_struct_type_child_count(type);
  std::vector<duckdb_value> items;
  for (idx_t k = 0; k < n; ++k) {
    duckdb_logical_type child = duckdb_struct_type_child_type(type, k);
    // Match fields by name when the Value names them, else by position.
    const Value* field = nullptr;
    if (!v.names.empty()) {
      char* name = duckdb_struct_type_child_name(type, k);
      for (size_t j = 0; j < v.names.size() && j < v.items.size(); ++j) {
        if (v.names[j] == name) field = &v.items[j];
      }
      duckdb_free(name);
    } else if (k < v.items.size()) {
      field = &v.items[k];
    }
    items.push_back(field ? ToDuckValue(*field, child) : duckdb_create_null_value());
    duckdb_destroy_logical_type(&child);
  }
  duckdb_value out = duckdb_create_struct_value(type, items.data());
  for (auto& item : items) duckdb_destroy_value(&item);
  return out;
}

duckdb_value ToDuckMap(const Value& v, duckdb_logical_type type) {
  duckdb_logical_type kt = duckdb_map_type_key_type(type);
  duckdb_logical_type vt = duckdb_map_type_value_type(type);
  std::vector<duckdb_value> keys, values;
  for (size_t k = 0; k + 1 < v.items.size(); k += 2) {
    keys.push_back(ToDuckValue(v.items[k], kt));
    values.push_back(ToDuckValue(v.items[k + 1], vt));
  }
  duckdb_value none_k = nullptr, none_v = nullptr;
  duckdb_value out = duckdb_create_map_value(type, keys.empty() ? &none_k : keys.data(),
                                             values.empty() ? &none_v : values.data(), keys.size());
  for (auto& x : keys) duckdb_destroy_value(&x);
  for (auto& x : values) duckdb_destroy_value(&x);
  duckdb_destroy_logical_type(&kt);
  duckdb_destroy_logical_type(&vt);
  return out;
}

duckdb_value ToDuckValue(const Value& v, duckdb_logical_type type) {
  using K = Value::Kind;
  switch (v.kind) {
    case K::kNull:
      return duckdb_create_null_value();
    case K::kBool:
      return duckdb_create_bool(v.b);
    case K::kInt:
      return duckdb_create_int64(v.i);
    case K::kDouble:
      return duckdb_create_double(v.d);
    case K::kDecimal:
    case K::kString:
    case K::kOther: {
      // DuckDB refuses (throws on) malformed UTF-8; the lake stores U+FFFD for such bytes.
      if (IsValidUtf8(v.s)) return duckdb_create_varchar_length(v.s.data(), v.s.size());
      std::string clean = ToValidUtf8(v.s);
      return duckdb_create_varchar_length(clean.data(), clean.size());
    }
    case K::kBlob:
      return duckdb_create_blob(reinterpret_cast<const uint8_t*>(v.s.data()), v.s.size());
    case K::kDate:
      return duckdb_create_date(duckdb_date{static_cast<int32_t>(v.i)});
    case K::kTimestamp:
      if (duckdb_get_type_id(type) == DUCKDB_TYPE_TIMESTAMP) {
        return duckdb_create_timestamp(duckdb_timestamp{v.i});
      }
      return duckdb_create_timestamp_tz(duckdb_timestamp{v.i});
    case K::kList:
      return ToDuckList(v, type);
    case K::kStruct:
      return ToDuckStruct(v, type);
    case K::kMap:
      return ToDuckMap(v, type);
  }
  return duckdb_create_null_value();
}

class DuckAppender final : public Appender {
 public:
  explicit DuckAppender(duckdb_appender app) : app_(app) {
    idx_t n = duckdb_appender_column_count(app_);
    for (idx_t c = 0; c < n; ++c) types_.push_back(duckdb_appender_column_type(app_, c));
  }
  ~DuckAppender() override {
    if (app_) duckdb_appender_destroy(&app_);
    for (auto& t : types_) duckdb_destroy_logical_type(&t);
  }

  Status AppendRow(const Row& row) override {
    // DuckDB's C API can let C++ exceptions through; they stop here (STYLE: exceptions are
    // caught in the adapter that calls the library).
    try {
      return AppendRowUnchecked(row);
    } catch (const std::exception& e) {
      return Internal(std::string("append failed: ") + e.what());
    }
  }

  Status AppendRowUnchecked(const Row& row) {
    if (!app_) return Internal("appender is closed");
    if (row.size() != types_.size()) {
      return Internal("row has " + std::to_string(row.size()) + " values, table has " +
                      std::to_string(types_.size()) + " columns");
    }
    for (size_t c = 0; c < row.size(); ++c) {
      duckdb_value value = ToDuckValue(row[c], types_[c]);
      if (value == nullptr)
        return Internal("column " + std::to_string(c) + ": value does not fit the column type");
      duckdb_state st = duckdb_append_value(app_, value);
      duckdb_destroy_value(&value);
      if (st != DuckDBSuccess) return Error("column " + std::to_string(c));
    }
    if (duckdb_appender_end_row(app_) != DuckDBSuccess) return Error("end of row");
    return Status::Ok();
  }

  Status Close() override {
    if (!app_) return Status::Ok();
    duckdb_state st = duckdb_appender_close(app_);
    Status status = st == DuckDBSuccess ? Status::Ok() : Error("close");
    duckdb_appender_destroy(&app_);
    app_ = nullptr;
    return status;
  }

 private:
  Status Error(const std::string& where) {
    duckdb_error_data data = duckdb_appender_error_data(app_);
    const char* err = duckdb_error_data_message(data);
    Status st = DuckDbError(duckdb_error_data_error_type(data),
                            "append failed at " + where + ": " + (err ? err : "unknown error"));
    duckdb_destroy_error_data(&data);
    return st;
  }

  duckdb_appender app_;
  std::vector<duckdb_logical_type> types_;
};

}  // namespace

Result<std::unique_ptr<Appender>> Engine::OpenAppender(const std::string& table) {
  std::string schema, name = table;
  if (auto dot = table.find('.'); dot != std::string::npos) {
    schema = table.substr(0, dot);
    name = table.substr(dot + 1);
  }
  duckdb_appender app = nullptr;
  if (duckdb_appender_create(impl_->con, schema.empty() ? nullptr : schema.c_str(), name.c_str(),
                             &app) != DuckDBSuccess) {
    const char* err = app ? duckdb_appender_error(app) : nullptr;
    std::string msg = "cannot append to " + table + ": " + (err ? err : "no such table");
    if (app) duckdb_appender_destroy(&app);
    return InvalidQuery(msg);
  }
  return std::unique_ptr<Appender>(new DuckAppender(app));
}

}  // namespace dicomlake::lake
