// Bulk-data NDJSON files (FHIR Bulk Data: one resource per line, UTF-8, '\n' separated).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"

namespace dicomlake::fhir {

// Writes `lines` (one resource each, without newline) to `folder` as files named
// "<resource_type>-<YYYY-MM-DDTHH.MM.SS.ffffffZ>[-<n>].ndjson" (Fabric's names; `now_us` gives
// the time), at most `max_per_file` lines per file. Each file appears whole (temporary file,
// fsync, rename) and the folder is synced. Returns the paths written.
Result<std::vector<std::string>> WriteNdjsonFiles(const std::string& folder,
                                                  const std::string& resource_type,
                                                  const std::vector<std::string>& lines,
                                                  int64_t max_per_file, int64_t now_us);

}  // namespace dicomlake::fhir
