// Migrate (`dicomlake migrate`, issue 15; docs/lifecycle.md): brings a lake written by an
// earlier dicomlake to the current format. Today that is one step: paths under the lake that
// earlier versions stored absolute (bronze filePath, sourceFilePath, inventoryFilePath and
// BulkDataURIs, the silver metastore's copies, silver msftFilePath, ClinicalFhir filePath,
// FileManifest path, gold image_occurrence.local_path) are made relative to the lake root, so
// the lake works wherever it is moved or copied (Lake::StoredPath).
//
// The lake's former roots are found in the paths themselves (the folder before
// `bronze/Files/Process/` or a drop zone under `bronze/Files/Ingest/`: only this lake keeps files
// there), plus the current root and any given with --from, so a lake moved before it was
// migrated is migrated too. Each table that holds such a path is rewritten in one commit whose
// files carry dataChange=false (DeltaTable::Rewrite): later stages do not take the rewrite for new
// data. Running it again changes nothing.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "pipeline/stage.h"

namespace dicomlake::pipeline {

inline constexpr const char* kMigrateActivity = "lake_migration";

struct MigrateRequest {
  std::vector<std::string> former_roots;  // --from: where the lake was, beyond those found
  bool dry_run = false;                   // say what would change, change nothing
};

struct MigratedTable {
  std::string table;     // "bronze/ImagingDicom"
  int64_t rows = 0;      // rows with a path made relative
  int64_t version = -1;  // the rewrite's version (-1: dry run)
};

struct MigrateSummary : StageSummary {
  std::vector<std::string> former_roots;  // every root whose paths were (or would be) rewritten
  std::vector<MigratedTable> tables;      // the tables rewritten
  bool dry_run = false;
  std::string ToJson() const;
};

Result<MigrateSummary> RunMigrate(const lake::Lake& lake, lake::Engine& engine,
                                  const config::Config& config, const MigrateRequest& request);

}  // namespace dicomlake::pipeline
