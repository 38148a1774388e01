// Printing query results: an aligned table, CSV (RFC 4180) or JSON (an array of row objects).
#pragma once

#include <ostream>
#include <string>

#include "common/status.h"
#include "lake/engine.h"

namespace dicomlake::cli {

enum class Format { kTable, kCsv, kJson };

// Parses "table", "csv" or "json".
Result<Format> ParseFormat(const std::string& name);

void PrintResult(const lake::QueryResult& result, Format format, std::ostream& out);

}  // namespace dicomlake::cli
