// Per-file statistics for Delta `add.stats` (PROTOCOL "Per-file Statistics"), computed by the
// engine from the data file just written.
#pragma once

#include <cstdint>
#include <string>

#include "common/status.h"
#include "lake/schema.h"

namespace dicomlake::lake {

class Engine;

// Spark's defaults: stats on the first 32 columns, strings cut to a 32-character prefix.
inline constexpr int kStatsMaxColumns = 32;
inline constexpr int kStatsStringPrefix = 32;

struct FileStats {
  int64_t num_records = 0;
  std::string json;  // the stats JSON string for add.stats
  // Top-level non-nullable columns that hold nulls in the file (a writer-v2 violation).
  std::vector<std::string> null_in_required;
};

// Reads `parquet_path` and returns numRecords, and for the first kStatsMaxColumns top-level
// columns: nullCount (primitive, array and map columns) and minValues/maxValues (numbers,
// decimals, dates, timestamps and strings). Rules that keep data skipping correct:
//  - timestamps are truncated down to milliseconds ("2020-02-01T08:09:10.000Z", UTC), as the
//    protocol says; readers widen max by 1 ms;
//  - a string min is cut to 32 characters (a prefix is never greater than the value); a string
//    max longer than 32 characters is left out, since its prefix would be smaller than the value;
//  - NaN and infinite doubles are left out.
Result<FileStats> ComputeFileStats(Engine& engine, const std::string& parquet_path,
                                   const Schema& schema);

}  // namespace dicomlake::lake
