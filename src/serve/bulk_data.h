// Bulk data as `serve` shows it. A BulkDataURI of the stored DICOM JSON locates bytes in the
// stored original (file, archive member, offset, length: dicom/dicom_json.h); served, it points
// back at this server instead, `<instance URL>/bulk/<offset>/<length>` (or
// `<instance URL>/bulk/tag/<tag>` for a value whose offset was not known at ingest), so that a
// client can fetch it and no path of the lake is shown.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace dicomlake::serve {

// The served URI for the stored URI `stored`.
std::string ServedBulkDataUri(std::string_view stored, const std::string& instance_url);

// Every BulkDataURI in the DICOM JSON text `json` (at any depth) replaced.
std::string RewriteBulkDataUris(std::string_view json, const std::string& instance_url);
// The same on a parsed attribute or data set.
void RewriteBulkDataUris(nlohmann::json* value, const std::string& instance_url);

// The byte range of a served `/bulk/<offset>/<length>` path's two numbers; nullopt when they are
// not whole numbers.
struct BulkRange {
  int64_t offset = 0;
  int64_t length = 0;
};
std::optional<BulkRange> ParseBulkRange(const std::string& offset, const std::string& length);

}  // namespace dicomlake::serve
