// Backup (`dicomlake backup LAKE --to DEST`, issue 15; docs/lifecycle.md): an incremental,
// consistent copy of the lake that is itself a working lake (paths are lake-relative).
//
// Consistency: every table's version is pinned first, in the order that keeps each stage's
// recorded progress at or behind what it read (admin, then gold, silver, bronze: a table read by a
// later stage is pinned after it). Then, each phase made durable (syncfs) before the next:
//   1. the lakehouses' Files/ (stored originals, FHIR NDJSON, failed files, configuration, ...;
//      not the Ingest drop zones, locks and scratch folders);
//   2. the data files the pinned versions reference (and those added since the last backup);
//   3. the log entries up to the pinned versions, in version order.
// So a log entry never reaches DEST before the files it references, and a backup killed at any
// point leaves DEST a working lake at the last complete backup (plus unreferenced files).
//
// Incremental: a file DEST holds with the same size and modification time is not copied again
// (Delta data files, commits and stored originals never change once written); copies get the
// source's modification time. A stored original copied is re-read from its temporary copy and
// checked against bronze's contentHash before it takes its name; a copy that does not match is
// reported and not published (an earlier good copy in DEST is kept). Files deleted from the lake
// stay in DEST. A data table DEST holds that is not a prefix of the lake's history (another
// lake; the backup written to) is refused; the two log tables are replaced instead.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "pipeline/fixity.h"
#include "pipeline/stage.h"

namespace dicomlake::pipeline {

inline constexpr const char* kBackupActivity = "lake_backup";

struct BackupRequest {
  std::string to;  // DEST: absent, empty, or an earlier backup (any lake)
  int threads = 0;
  std::function<void(int64_t, int64_t)> progress;  // (files done, files to consider)
};

struct BackupSummary : StageSummary {
  std::string to;
  int64_t files_considered = 0;  // files of the snapshot (Files/, data files, log entries)
  int64_t files_copied = 0;      // of them, new or changed in DEST
  int64_t bytes_copied = 0;
  int64_t originals_checked = 0;  // instances of the stored originals copied, hash checked
  int64_t data_files_copied = 0, log_entries_copied = 0;
  std::map<std::string, int64_t> versions;  // "bronze/ImagingDicom" -> the version backed up
  std::vector<FixityProblem> problems;      // originals whose copy did not match, unreadable files
  // Log tables (BusinessEvents, ExecutionSummary) the copy had written to itself (a `verify` of
  // the backup), replaced by the lake's.
  std::vector<std::string> replaced;
  bool ok() const { return problems.empty(); }
  std::string ToJson() const;
};

Result<BackupSummary> RunBackup(const lake::Lake& lake, lake::Engine& engine,
                                const config::Config& config, const BackupRequest& request);

}  // namespace dicomlake::pipeline
