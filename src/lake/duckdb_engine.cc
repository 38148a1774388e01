// The DuckDB adapter: opens an in-memory database, runs SQL, and turns result chunks into
// Values. DuckDB's deprecated per-value accessors return NULL for nested columns
// (DEPENDENCY-NOTES), so results are read through the data-chunk API, vector by vector.
#include <duckdb.h>

#include <cstring>

#include "lake/duckdb_internal.h"
#include "lake/engine.h"

namespace dicomlake::lake {
namespace {

// DuckDB's HUGEINT and DECIMAL(38) values are 128-bit; GCC's __int128 holds them.
__extension__ using Int128 = __int128;
__extension__ using UInt128 = unsigned __int128;

std::string TakeDuckString(char* s) {
  std::string out = s ? s : "";
  if (s) duckdb_free(s);
  return out;
}

std::string Int128ToString(Int128 v) {
  if (v == 0) return "0";
  bool neg = v < 0;
  UInt128 u = neg ? -static_cast<UInt128>(v) : static_cast<UInt128>(v);
  std::string out;
  while (u > 0) {
    out.insert(out.begin(), static_cast<char>('0' + static_cast<int>(u % 10)));
    u /= 10;
  }
  if (neg) out.insert(out.begin(), '-');
  return out;
}

std::string DecimalText(Int128 raw, int scale) {
  std::string digits = Int128ToString(raw < 0 ? -raw : raw);
  if (scale > 0) {
    if (static_cast<int>(digits.size()) <= scale) {
      digits.insert(0, static_cast<size_t>(scale) + 1 - digits.size(), '0');
    }
    digits.insert(digits.size() - static_cast<size_t>(scale), ".");
  }
  return raw < 0 ? "-" + digits : digits;
}

// Reads the values of one vector, recursively through nested types. Built once per chunk.
class VectorReader {
 public:
  VectorReader(duckdb_vector vec, duckdb_logical_type type) : vec_(vec), type_(type) {
    id_ = duckdb_get_type_id(type);
    data_ = duckdb_vector_get_data(vec);
    validity_ = duckdb_vector_get_validity(vec);
    switch (id_) {
      case DUCKDB_TYPE_LIST:
      case DUCKDB_TYPE_MAP: {
        duckdb_vector child = duckdb_list_vector_get_child(vec);
        children_.push_back(
            std::make_unique<VectorReader>(child, duckdb_vector_get_column_type(child)));
        break;
      }
      case DUCKDB_TYPE_ARRAY: {
        duckdb_vector child = duckdb_array_vector_get_child(vec);
        array_size_ = duckdb_array_type_array_size(type);
        children_.push_back(
            std::make_unique<VectorReader>(child, duckdb_vector_get_column_type(child)));
        break;
      }
      case DUCKDB_TYPE_STRUCT: {
        idx_t n = duckdb_struct_type_child_count(type);
        for (idx_t k = 0; k < n; ++k) {
          names_.push_back(TakeDuckString(duckdb_struct_type_child_name(type, k)));
          duckdb_vector child = duckdb_struct_vector_get_child(vec, k);
          children_.push_back(
              std::make_unique<VectorReader>(child, duckdb_vector_get_column_type(child)));
        }
        break;
      }
      case DUCKDB_TYPE_DECIMAL:
        scale_ = duckdb_decimal_scale(type);
        internal_ = duckdb_decimal_internal_type(type);
        break;
      case DUCKDB_TYPE_ENUM:
        internal_ = duckdb_enum_internal_type(type);
        break;
      default:
        break;
    }
  }
  ~VectorReader() { duckdb_destroy_logical_type(&type_); }
  VectorReader(const VectorReader&) = delete;
  VectorReader& operator=(const VectorReader&) = delete;

  Value Read(idx_t row) const {
    if (validity_ && !duckdb_validity_row_is_valid(validity_, row)) return Value::Null();
    switch (id_) {
      case DUCKDB_TYPE_BOOLEAN:
        return Value::Bool(static_cast<const bool*>(data_)[row]);
      case DUCKDB_TYPE_TINYINT:
        return Value::Int(static_cast<const int8_t*>(data_)[row]);
      case DUCKDB_TYPE_SMALLINT:
        return Value::Int(static_cast<const int16_t*>(data_)[row]);
      case DUCKDB_TYPE_INTEGER:
        return Value::Int(static_cast<const int32_t*>(data_)[row]);
      case DUCKDB_TYPE_BIGINT:
        return Value::Int(static_cast<const int64_t*>(data_)[row]);
      case DUCKDB_TYPE_UTINYINT:
        return Value::Int(static_cast<const uint8_t*>(data_)[row]);
      case DUCKDB_TYPE_USMALLINT:
        return Value::Int(static_cast<const uint16_t*>(data_)[row]);
      case DUCKDB_TYPE_UINTEGER:
        return Value::Int(static_cast<const uint32_t*>(data_)[row]);
      case DUCKDB_TYPE_UBIGINT: {
        uint64_t u = static_cast<const uint64_t*>(data_)[row];
        if (u <= static_cast<uint64_t>(INT64_MAX)) return Value::Int(static_cast<int64_t>(u));
        Value v;
        v.kind = Value::Kind::kDecimal;
        v.s = std::to_string(u);
        return v;
      }
      case DUCKDB_TYPE_HUGEINT: {
        const auto& h = static_cast<const duckdb_hugeint*>(data_)[row];
        Value v;
        v.kind = Value::Kind::kDecimal;
        v.s = Int128ToString((static_cast<Int128>(h.upper) << 64) | h.lower);
        return v;
      }
      case DUCKDB_TYPE_FLOAT:
        return Value::Double(static_cast<const float*>(data_)[row]);
      case DUCKDB_TYPE_DOUBLE:
        return Value::Double(static_cast<const double*>(data_)[row]);
      case DUCKDB_TYPE_VARCHAR:
      case DUCKDB_TYPE_BLOB: {
        auto* s = &static_cast<duckdb_string_t*>(data_)[row];
        std::string text(duckdb_string_t_data(s), duckdb_string_t_length(*s));
        return id_ == DUCKDB_TYPE_VARCHAR ? Value::String(std::move(text))
                                          : Value::Blob(std::move(text));
      }
      case DUCKDB_TYPE_DATE:
        return Value::Date(static_cast<const duckdb_date*>(data_)[row].days);
      case DUCKDB_TYPE_TIMESTAMP:
      case DUCKDB_TYPE_TIMESTAMP_TZ:
        return Value::Timestamp(static_cast<const duckdb_timestamp*>(data_)[row].micros);
      case DUCKDB_TYPE_TIMESTAMP_S:
        return Value::Timestamp(static_cast<const int64_t*>(data_)[row] * 1000000);
      case DUCKDB_TYPE_TIMESTAMP_MS:
        return Value::Timestamp(static_cast<const int64_t*>(data_)[row] * 1000);
      case DUCKDB_TYPE_TIMESTAMP_NS:
        return Value::Timestamp(static_cast<const int64_t*>(data_)[row] / 1000);
      case DUCKDB_TYPE_DECIMAL:
        return ReadDecimal(row);
      case DUCKDB_TYPE_ENUM:
        return ReadEnum(row);
      case DUCKDB_TYPE_LIST:
      case DUCKDB_TYPE_MAP:
        return ReadList(row);
      case DUCKDB_TYPE_ARRAY: {
        std::vector<Value> items;
        for (idx_t k = 0; k < array_size_; ++k)
          items.push_back(children_[0]->Read(row * array_size_ + k));
        return Value::List(std::move(items));
      }
      case DUCKDB_TYPE_STRUCT: {
        std::vector<Value> items;
        for (const auto& c : children_) items.push_back(c->Read(row));
        return Value::Struct(names_, std::move(items));
      }
      default: {
        Value v;
        v.kind = Value::Kind::kOther;
        v.s = "<" + TypeName(type_) + " value>";
        return v;
      }
    }
  }

 private:
  Value ReadDecimal(idx_t row) const {
    Int128 raw = 0;
    switch (internal_) {
      case DUCKDB_TYPE_SMALLINT:
        raw = static_cast<const int16_t*>(data_)[row];
        break;
      case DUCKDB_TYPE_INTEGER:
        raw = static_cast<const int32_t*>(data_)[row];
        break;
      case DUCKDB_TYPE_BIGINT:
        raw = static_cast<const int64_t*>(data_)[row];
        break;
      default: {
        const auto& h = static_cast<const duckdb_hugeint*>(data_)[row];
        raw = (static_cast<Int128>(h.upper) << 64) | h.lower;
      }
    }
    Value v;
    v.kind = Value::Kind::kDecimal;
    v.s = DecimalText(raw, scale_);
    return v;
  }

  Value ReadEnum(idx_t row) const {
    idx_t index = 0;
    switch (internal_) {
      case DUCKDB_TYPE_UTINYINT:
        index = static_cast<const uint8_t*>(data_)[row];
        break;
      case DUCKDB_TYPE_USMALLINT:
        index = static_cast<const uint16_t*>(data_)[row];
        break;
      default:
        index = static_cast<const uint32_t*>(data_)[row];
        break;
    }
    return Value::String(TakeDuckString(duckdb_enum_dictionary_value(type_, index)));
  }

  Value ReadList(idx_t row) const {
    const auto& entry = static_cast<const duckdb_list_entry*>(data_)[row];
    std::vector<Value> items;
    items.reserve(entry.length * (id_ == DUCKDB_TYPE_MAP ? 2 : 1));
    for (idx_t k = 0; k < entry.length; ++k) {
      Value item = children_[0]->Read(entry.offset + k);
      if (id_ == DUCKDB_TYPE_MAP && item.items.size() == 2) {
        items.push_back(std::move(item.items[0]));
        items.push_back(std::move(item.items[1]));
      } else {
        items.push_back(std::move(item));
      }
    }
    return id_ == DUCKDB_TYPE_MAP ? Value::Map(std::move(items)) : Value::List(std::move(items));
  }

  duckdb_vector vec_;
  duckdb_logical_type type_;
  duckdb_type id_;
  void* data_ = nullptr;
  uint64_t* validity_ = nullptr;
  std::vector<std::unique_ptr<VectorReader>> children_;
  std::vector<std::string> names_;
  idx_t array_size_ = 0;
  int scale_ = 0;
  duckdb_type internal_ = DUCKDB_TYPE_INVALID;
};

// Moves all rows of a materialised result into `out`.
void CollectRows(duckdb_result* result, QueryResult* out) {
  idx_t ncols = duckdb_column_count(result);
  for (idx_t c = 0; c < ncols; ++c) {
    out->column_names.push_back(duckdb_column_name(result, c));
    duckdb_logical_type t = duckdb_column_logical_type(result, c);
    out->column_types.push_back(TypeName(t));
    duckdb_destroy_logical_type(&t);
  }
  out->returns_rows = duckdb_result_return_type(*result) == DUCKDB_RESULT_TYPE_QUERY_RESULT;
  while (duckdb_data_chunk chunk = duckdb_fetch_chunk(*result)) {
    idx_t n = duckdb_data_chunk_get_size(chunk);
    std::vector<std::unique_ptr<VectorReader>> readers;
    for (idx_t c = 0; c < ncols; ++c) {
      duckdb_vector vec = duckdb_data_chunk_get_vector(chunk, c);
      readers.push_back(std::make_unique<VectorReader>(vec, duckdb_vector_get_column_type(vec)));
    }
    for (idx_t r = 0; r < n; ++r) {
      Row row;
      row.reserve(ncols);
      for (const auto& reader : readers) row.push_back(reader->Read(r));
      out->rows.push_back(std::move(row));
    }
    readers.clear();
    duckdb_destroy_data_chunk(&chunk);
  }
}

}  // namespace

std::string TypeName(duckdb_logical_type type) {
  // DuckDB's C API has no type-to-string; render the common types, nested ones recursively.
  switch (duckdb_get_type_id(type)) {
    case DUCKDB_TYPE_BOOLEAN:
      return "BOOLEAN";
    case DUCKDB_TYPE_TINYINT:
      return "TINYINT";
    case DUCKDB_TYPE_SMALLINT:
      return "SMALLINT";
    case DUCKDB_TYPE_INTEGER:
      return "INTEGER";
    case DUCKDB_TYPE_BIGINT:
      return "BIGINT";
    case DUCKDB_TYPE_UTINYINT:
      return "UTINYINT";
    case DUCKDB_TYPE_USMALLINT:
      return "USMALLINT";
    case DUCKDB_TYPE_UINTEGER:
      return "UINTEGER";
    case DUCKDB_TYPE_UBIGINT:
      return "UBIGINT";
    case DUCKDB_TYPE_HUGEINT:
      return "HUGEINT";
    case DUCKDB_TYPE_FLOAT:
      return "FLOAT";
    case DUCKDB_TYPE_DOUBLE:
      return "DOUBLE";
    case DUCKDB_TYPE_VARCHAR:
      return "VARCHAR";
    case DUCKDB_TYPE_BLOB:
      return "BLOB";
    case DUCKDB_TYPE_DATE:
      return "DATE";
    case DUCKDB_TYPE_TIME:
      return "TIME";
    case DUCKDB_TYPE_TIMESTAMP:
      return "TIMESTAMP";
    case DUCKDB_TYPE_TIMESTAMP_TZ:
      return "TIMESTAMP WITH TIME ZONE";
    case DUCKDB_TYPE_TIMESTAMP_S:
      return "TIMESTAMP_S";
    case DUCKDB_TYPE_TIMESTAMP_MS:
      return "TIMESTAMP_MS";
    case DUCKDB_TYPE_TIMESTAMP_NS:
      return "TIMESTAMP_NS";
    case DUCKDB_TYPE_INTERVAL:
      return "INTERVAL";
    case DUCKDB_TYPE_UUID:
      return "UUID";
    case DUCKDB_TYPE_ENUM:
      return "ENUM";
    case DUCKDB_TYPE_DECIMAL:
      return "DECIMAL(" + std::to_string(duckdb_decimal_width(type)) + "," +
             std::to_string(duckdb_decimal_scale(type)) + ")";
    case DUCKDB_TYPE_LIST: {
      duckdb_logical_type child = duckdb_list_type_child_type(type);
      std::string s = TypeName(child) + "[]";
      duckdb_destroy_logical_type(&child);
      return s;
    }
    case DUCKDB_TYPE_MAP: {
      duckdb_logical_type k = duckdb_map_type_key_type(type);
      duckdb_logical_type v = duckdb_map_type_value_type(type);
      std::string s = "MAP(" + TypeName(k) + ", " + TypeName(v) + ")";
      duckdb_destroy_logical_type(&k);
      duckdb_destroy_logical_type(&v);
      return s;
    }
    case DUCKDB_TYPE_STRUCT: {
      std::string s = "STRUCT(";
      idx_t n = duckdb_struct_type_child_count(type);
      for (idx_t k = 0; k < n; ++k) {
        duckdb_logical_type child = duckdb_struct_type_child_type(type, k);
        if (k) s += ", ";
        s += QuoteIdent(TakeDuckString(duckdb_struct_type_child_name(type, k))) + " " +
             TypeName(child);
        duckdb_destroy_logical_type(&child);
      }
      return s + ")";
    }
    default:
      return "OTHER";
  }
}

Engine::Engine(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Engine::~Engine() {
  if (impl_) {
    duckdb_disconnect(&impl_->con);
    duckdb_close(&impl_->db);
  }
}

Result<std::unique_ptr<Engine>> Engine::Open(const EngineOptions& options) {
  auto impl = std::make_unique<Impl>();
  if (duckdb_open(nullptr, &impl->db) != DuckDBSuccess) return Internal("cannot open DuckDB");
  if (duckdb_connect(impl->db, &impl->con) != DuckDBSuccess) {
    duckdb_close(&impl->db);
    return Internal("cannot connect to DuckDB");
  }
  std::unique_ptr<Engine> engine(new Engine(std::move(impl)));
  // Timestamps are UTC everywhere in the lake (ARCHITECTURE section 5).
  DL_RETURN_IF_ERROR(engine->Execute("SET TimeZone='UTC'"));
  // Resident memory must not grow with the size of the lake (docs/benchmarks.md, scale run).
  // DuckDB's external file cache keeps the Parquet bytes every query reads; the ingest re-reads
  // bronze's hash column for each batch, so the cache grew with bronze (the OS page cache holds
  // those bytes anyway). Its allocator keeps up to 128 MiB of freed memory by default; dicomlake
  // runs many small queries, 16 MiB is plenty.
  DL_RETURN_IF_ERROR(engine->Execute("SET enable_external_file_cache=false"));
  DL_RETURN_IF_ERROR(engine->Execute("SET allocator_flush_threshold='16MB'"));
  if (options.threads > 0) {
    DL_RETURN_IF_ERROR(engine->Execute("SET threads=" + std::to_string(options.threads)));
  }
  if (!options.memory_limit.empty()) {
    DL_RETURN_IF_ERROR(engine->Execute("SET memory_limit=" + QuoteLiteral(options.memory_limit)));
  }
  return engine;
}

namespace {

// The Status of a failed query, classified by DuckDB's error type (duckdb_errors.h).
Status ResultError(duckdb_result* result) {
  const char* err = duckdb_result_error(result);
  return DuckDbError(duckdb_result_error_type(result), err != nullptr ? err : "unknown error");
}

}  // namespace

Status Engine::Execute(const std::string& sql) {
  duckdb_result result;
  if (duckdb_query(impl_->con, sql.c_str(), &result) != DuckDBSuccess) {
    Status st = ResultError(&result);
    duckdb_destroy_result(&result);
    return st;
  }
  duckdb_destroy_result(&result);
  return Status::Ok();
}

Result<QueryResult> Engine::Query(const std::string& sql) {
  duckdb_result result;
  if (duckdb_query(impl_->con, sql.c_str(), &result) != DuckDBSuccess) {
    Status st = ResultError(&result);
    duckdb_destroy_result(&result);
    return st;
  }
  QueryResult out;
  CollectRows(&result, &out);
  duckdb_destroy_result(&result);
  return out;
}

Result<std::vector<QueryResult>> Engine::RunScript(const std::string& sql) {
  duckdb_extracted_statements stmts = nullptr;
  idx_t n = duckdb_extract_statements(impl_->con, sql.c_str(), &stmts);
  if (n == 0) {
    const char* err = duckdb_extract_statements_error(stmts);
    std::string msg = err ? err : "";
    duckdb_destroy_extracted(&stmts);
    if (msg.empty()) return std::vector<QueryResult>{};  // only whitespace or comments
    return InvalidQuery(msg);
  }
  std::vector<QueryResult> results;
  Status status;
  for (idx_t k = 0; k < n && status.ok(); ++k) {
    duckdb_prepared_statement prepared = nullptr;
    if (duckdb_prepare_extracted_statement(impl_->con, stmts, k, &prepared) != DuckDBSuccess) {
      status = InvalidQuery(duckdb_prepare_error(prepared) ? duckdb_prepare_error(prepared)
                                                           : "cannot prepare");
      duckdb_destroy_prepare(&prepared);
      break;
    }
    duckdb_result result;
    if (duckdb_execute_prepared(prepared, &result) != DuckDBSuccess) {
      status = ResultError(&result);
    } else {
      QueryResult out;
      CollectRows(&result, &out);
      results.push_back(std::move(out));
    }
    duckdb_destroy_result(&result);
    duckdb_destroy_prepare(&prepared);
  }
  duckdb_destroy_extracted(&stmts);
  if (!status.ok()) return status;
  return results;
}

std::string QuoteIdent(const std::string& name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string QuoteLiteral(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

}  // namespace dicomlake::lake
