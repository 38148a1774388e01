// Shared by the DuckDB adapter files only (duckdb_engine.cc, duckdb_appender.cc); includes
// duckdb.h and so must never be included from a header outside lake/duckdb_*.
#pragma once

#include <duckdb.h>

#include <string>

#include "lake/engine.h"

namespace dicomlake::lake {

struct Engine::Impl {
  duckdb_database db = nullptr;
  duckdb_connection con = nullptr;
};

// DuckDB's SQL name of a logical type, e.g. "STRUCT(\"a\" INTEGER[])".
std::string TypeName(duckdb_logical_type type);

}  // namespace dicomlake::lake
