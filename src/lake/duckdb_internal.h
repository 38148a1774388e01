// Shared by the DuckDB adapter files only (duckdb_engine.cc, duckdb_appender.cc); includes
// duckdb.h and so must never be included from a header outside lake/duckdb_*.
#pragma once

#include <duckdb.h>

#include <string>

#include "common/status.h"
#include "lake/engine.h"

namespace dicomlake::lake {

struct Engine::Impl {
  duckdb_database db = nullptr;
  duckdb_connection con = nullptr;
};

// The Status for a DuckDB error of `type` with DuckDB's `message`:
//   IO, PERMISSION                        kIoError, or kNoSpace when the OS said the disk is full
//   OUT_OF_MEMORY                         kOutOfMemory
//   INVALID_INPUT on a Parquet file       kCorrupt (a data file is not what it should be)
//   PARSER, BINDER, CATALOG, CONVERSION.. kInvalidQuery (the statement, or the data it met, was
//                                         refused)
//   INTERNAL, FATAL, anything else        kInternal
Status DuckDbError(duckdb_error_type type, const std::string& message);

// DuckDB's SQL name of a logical type, e.g. "STRUCT(\"a\" INTEGER[])".
std::string TypeName(duckdb_logical_type type);

}  // namespace dicomlake::lake
