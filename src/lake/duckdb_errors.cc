#include "lake/duckdb_internal.h"

namespace dicomlake::lake {
namespace {

bool Contains(const std::string& text, const char* needle) {
  return text.find(needle) != std::string::npos;
}

}  // namespace

Status DuckDbError(duckdb_error_type type, const std::string& message) {
  switch (type) {
    case DUCKDB_ERROR_IO:
    case DUCKDB_ERROR_PERMISSION:
      // DuckDB's I/O errors carry the operating system's text (strerror).
      if (Contains(message, "No space left on device") || Contains(message, "Disk quota exceeded"))
        return NoSpace("no space left on the device, the disk (or quota) is full: " + message);
      return IoError(message);
    case DUCKDB_ERROR_OUT_OF_MEMORY:
      return OutOfMemory(message);
    case DUCKDB_ERROR_INVALID_INPUT:
      if (Contains(message, "arquet") || Contains(message, "magic bytes")) return Corrupt(message);
      return InvalidQuery(message);
    case DUCKDB_ERROR_PARSER:
    case DUCKDB_ERROR_SYNTAX:
    case DUCKDB_ERROR_BINDER:
    case DUCKDB_ERROR_CATALOG:
    case DUCKDB_ERROR_PLANNER:
    case DUCKDB_ERROR_EXPRESSION:
    case DUCKDB_ERROR_CONVERSION:
    case DUCKDB_ERROR_OUT_OF_RANGE:
    case DUCKDB_ERROR_MISMATCH_TYPE:
    case DUCKDB_ERROR_DIVIDE_BY_ZERO:
    case DUCKDB_ERROR_DECIMAL:
    case DUCKDB_ERROR_CONSTRAINT:
    case DUCKDB_ERROR_NOT_IMPLEMENTED:
    case DUCKDB_ERROR_PARAMETER_NOT_RESOLVED:
    case DUCKDB_ERROR_PARAMETER_NOT_ALLOWED:
    case DUCKDB_ERROR_DEPENDENCY:
    case DUCKDB_ERROR_SETTINGS:
    case DUCKDB_ERROR_MISSING_EXTENSION:
      return InvalidQuery(message);
    default:
      return Internal("DuckDB: " + message);
  }
}

}  // namespace dicomlake::lake
