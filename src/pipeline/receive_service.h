// `dicomlake listen`: the C-STORE receiver (net/storage_receiver.h), and with an HTTP port the
// STOW-RS server (net/stow_server.h), feeding the lake.
// Received instances are written durably into the namespace's Ingest drop zone
// (bronze/Files/Ingest/Imaging/DICOM/<namespace>/<calling AE>/<date>/) before the sender is told
// they are stored; they are then ingested in small batches through the normal exactly-once path
// (Process copies, deduplication on the data set, BusinessEvents), and fhir, silver and gold
// follow. Each association is recorded as a BusinessEvents row (activity
// imaging_dicom_receive; a STOW-RS request is one row too). A stop (SIGTERM) lets the associations
// in progress finish, ingests what they stored and returns: nothing acknowledged is lost, and
// whatever was not ingested yet stays in the drop zone for the next run.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

#include "common/status.h"
#include "lake/lake.h"
#include "net/storage_receiver.h"
#include "net/stow_server.h"

namespace dicomlake::config {
class Config;
}
namespace dicomlake::lake {
class Engine;
}

namespace dicomlake::pipeline {

inline constexpr const char* kReceiveActivity = "imaging_dicom_receive";

struct ListenOptions {
  net::ReceiverOptions receiver;  // its spool is the namespace's drop zone (set by RunListen)
  // STOW-RS on this port (0: any free one) when >= 0, bound to the receiver's address, with as
  // many requests at once as associations; -1: no HTTP.
  int http_port = -1;
  int64_t max_request_bytes = int64_t{4} << 30;
  std::string namespace_name;  // "": the configured global.default_namespace
  // A batch is ingested once no association has been active for `quiet_seconds`, or when files
  // have waited `max_wait_seconds` (a long association).
  double quiet_seconds = 2;
  double max_wait_seconds = 30;
  std::function<void(const std::string&)> say;  // one line per association and batch
  // Once bound: the DIMSE port and the HTTP one (-1 without), e.g. for port 0.
  std::function<void(int port, int http_port)> listening;
};

struct ListenSummary {
  int64_t associations = 0, refused = 0;
  int64_t instances_received = 0, instances_failed = 0;
  int64_t batches = 0, instances_added = 0;
};

// Runs until `stop` becomes true. Fails when the port cannot be bound or a batch fails for a
// reason other than a concurrent run holding a stage (that batch is retried).
Result<ListenSummary> RunListen(const lake::Lake& lake, lake::Engine& engine,
                                const config::Config& config, ListenOptions options,
                                const std::atomic<bool>& stop);

}  // namespace dicomlake::pipeline
