// `dicomlake pull`: instances pulled from a DICOMweb server (QIDO-RS, then WADO-RS) or from a
// PACS over DIMSE (C-FIND, then C-GET, or C-MOVE to a storage receiver this command runs) into
// the namespace's Ingest drop zone and ingested through the normal exactly-once path (Process
// copies, deduplication on the data set, BusinessEvents; fhir, silver and gold follow), in batches
// of studies.
//
// Incremental: without --since, a pull starts from the watermark of the last complete pull from
// the same source into the same namespace (the day it ended; the date range overlaps by a day),
// kept in admin.BusinessEvents. Resumable: a study whose instances are all in bronze already (the
// server's NumberOfStudyRelatedInstances) is skipped, so a pull stopped half-way and run again
// retrieves only the studies not yet complete. A study date range cannot see a study added to the
// server late with an old StudyDate: `--since 19000101` checks every study (and retrieves only the
// incomplete ones).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "common/status.h"
#include "lake/lake.h"
#include "net/http_client.h"

namespace dicomlake::config {
class Config;
}
namespace dicomlake::lake {
class Engine;
}

namespace dicomlake::pipeline {

inline constexpr const char* kPullActivity = "imaging_dicom_pull";

struct PullOptions {
  // The source: one of the two.
  std::string dicomweb_url;  // ".../dicom-web": the server's DICOMweb root
  std::string dimse_peer;    // "AET@host:port": a PACS taking Study Root C-FIND and C-GET/C-MOVE
  net::HttpAuth auth;        // DICOMweb credentials, never logged
  std::string calling_ae = "DICOMLAKE";  // our AE title (DIMSE)
  bool move = false;                     // DIMSE: C-MOVE to our own receiver instead of C-GET
  // C-MOVE's receiver: the peer must know `calling_ae` at this address and port.
  std::string move_bind = "127.0.0.1";
  int move_port = 11113;
  std::vector<std::string> studies;  // only these studies; empty: every study matching
  std::string since, until;          // StudyDate range, YYYYMMDD; since "": the watermark
  std::string modality;              // ModalitiesInStudy; "": any
  std::string namespace_name;        // "": the configured global.default_namespace
  int batch_studies = 20;            // ingest after this many studies retrieved
  bool dry_run = false;              // list what would be retrieved, retrieve nothing
  std::function<void(const std::string&)> say;  // one line per study and batch
};

struct PullSummary {
  std::string source;        // the server, without credentials
  std::string since, until;  // the StudyDate range asked ("" = open)
  int64_t studies_found = 0, studies_complete = 0, studies_retrieved = 0, studies_failed = 0;
  int64_t instances_received = 0, parts_failed = 0, bytes = 0;
  int64_t batches = 0, instances_added = 0;
  bool watermark_recorded = false;
};

// Fails when the server cannot be queried or the lake cannot be written; a study that cannot be
// retrieved is a failure of that study (an Error event; no watermark is recorded, so the next
// pull tries it again) and the pull goes on.
Result<PullSummary> RunPull(const lake::Lake& lake, lake::Engine& engine,
                            const config::Config& config, PullOptions options);

}  // namespace dicomlake::pipeline
