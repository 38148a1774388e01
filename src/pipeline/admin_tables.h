// The admin lakehouse's tables (ARCHITECTURE section 1; column names after Fabric's, see
// reference/hds-imaging-facts.md section 6) and lake initialisation.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"
#include "lake/schema.h"
#include "lake/value.h"

namespace dicomlake::lake {
class Engine;
class Lake;
struct TableId;
}  // namespace dicomlake::lake

namespace dicomlake::pipeline {

// One row per failure or notable event (a file that is not DICOM, a study without UID, ...).
lake::Schema BusinessEventsSchema();
// One row per (run, activity) with counts and timings.
lake::Schema ExecutionSummarySchema();
// Every source file seen: path, size, mtime, hash, state.
lake::Schema FileManifestSchema();

// One BusinessEvents row (column names after Fabric's).
struct BusinessEvent {
  std::string activity_name;  // e.g. "imaging_dicom_extract_bronze_ingestion"
  std::string event_type;     // where: "stage:parse", "stage:scan", ...
  std::string severity = "Error";
  std::string run_id;
  std::string source_file_path;
  std::string target_file_path;   // e.g. where a failed file was moved
  std::string record_identifier;  // e.g. the archive member
  std::string target_table_name;
  std::string message;            // the reason
  std::string custom_dimensions;  // JSON text
};
lake::Row BusinessEventRow(const BusinessEvent& event, int64_t now_us);

// One ExecutionSummary row per (run, activity).
struct ExecutionSummary {
  std::string activity_name, run_id, pipeline_name, status, status_details;
  std::string target_path, target_lakehouse, source_path, source_lakehouse;
  int64_t target_records = 0, target_files = 0, target_bytes = 0;
  int64_t source_records = 0, source_files = 0, source_bytes = 0, batches = 0;
  double elapsed_seconds = 0;
  std::vector<std::pair<std::string, std::string>> attributes;   // activityAttributes
  std::vector<std::pair<std::string, int64_t>> target_granular;  // numTargetRecordsGranular
};
lake::Row ExecutionSummaryRow(const ExecutionSummary& summary, int64_t created_us, int64_t now_us);

// One FileManifest row.
struct ManifestEntry {
  std::string path, namespace_name, pattern, content_hash, state, reason, run_id;
  int64_t size = 0;
  int64_t modified_us = 0;
};
lake::Row ManifestRow(const ManifestEntry& entry, int64_t now_us);

struct InitReport {
  bool created_config = false;  // false when a configuration file was already there
  int tables_created = 0;       // tables that did not exist before
};

// Creates admin table `id` (BusinessEvents, ExecutionSummary or FileManifest) when it is missing;
// when it is there and not `missing_only`, checks its schema, adding new nullable columns.
// Returns whether it was created.
Result<bool> CreateAdminTable(const lake::Lake& lake, lake::Engine& engine, const lake::TableId& id,
                              bool missing_only);

// Creates the lake folders, the default configuration file (unless one exists) and the admin
// tables. Idempotent: running it on an existing lake changes nothing that is there.
Result<InitReport> InitLake(const lake::Lake& lake, lake::Engine& engine);

}  // namespace dicomlake::pipeline
