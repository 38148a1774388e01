// The bronze ingestion stage (`dicomlake ingest`, issue 3; ARCHITECTURE sections 2 and 7):
// finds source files, expands archives, parses DICOM on all cores, and appends one
// ImagingDicom row per new instance file version, with failures recorded as data.
//
// Exactly-once (Ingest pattern), per batch: 1. parse, 2. write compressed copies to Process
// (fsynced), 3. write Parquet, 4. commit the Delta log entry, 5. only then delete the originals
// from Ingest (or move failures to Failed). A crash anywhere leaves originals in Ingest; the
// next run finds their (sopInstanceUid, contentHash) in bronze and does not add them again.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "pipeline/stage.h"

namespace dicomlake::pipeline {

enum class IngestPattern { kIngest, kByos, kInventory };

// "ingest", "byos" or "inventory".
Result<IngestPattern> ParseIngestPattern(const std::string& name);

struct IngestOptions {
  IngestPattern pattern = IngestPattern::kIngest;
  std::string only_namespace;  // empty: every namespace (the first folder level names it)
  std::string source_dir;      // BYOS: read here instead of bronze/Files/External/Imaging/DICOM
  // With source_dir: every file of it belongs to this namespace (the source system), whatever
  // its folders; empty: the first folder level names the namespace, as in the lake's folders.
  std::string source_namespace;
  // Called from worker threads as files finish (must be thread-safe): files done, files total.
  std::function<void(int64_t, int64_t)> progress;
};

struct IngestFailure {
  std::string path;  // the file, or "<archive>!<member>"
  std::string reason;
};

struct IngestSummary : StageSummary {
  int64_t files_seen = 0;           // files found in the source (archives count once)
  int64_t files_unchanged = 0;      // BYOS: skipped, same size and mtime as in FileManifest
  int64_t instances_read = 0;       // DICOM instances parsed (archive members included)
  int64_t instances_added = 0;      // new rows in bronze ImagingDicom
  int64_t duplicates_skipped = 0;   // instances whose (sopInstanceUid, contentHash) bronze had
  int64_t directories_skipped = 0;  // DICOMDIR files (media directories, not instances)
  int64_t failed = 0;               // files or members that could not be ingested
  int64_t bytes_read = 0;
  int64_t bytes_written = 0;  // Parquet and Process copies
  int64_t batches = 0;
  int64_t operations_recorded = 0;      // from files of the operations folder (Ingest pattern)
  int64_t operation_files_failed = 0;   // operations files refused (moved to Failed)
  std::vector<IngestFailure> failures;  // the first 1,000
  // How many failures of each kind (the reason up to its first ':', e.g. "not DICOM").
  std::map<std::string, int64_t> failure_kinds;
  std::string source;  // the folder (or inventory folder) the run read

  std::string ToJson() const;
};

// Runs the stage. The returned Status is an error only when continuing was wrong (the lake is
// unwritable, a table is corrupt); bad input files are counted in the summary instead.
Result<IngestSummary> RunIngest(const lake::Lake& lake, lake::Engine& engine,
                                const config::Config& config, const IngestOptions& options);

}  // namespace dicomlake::pipeline
