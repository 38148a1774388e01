#include "pipeline/receive_service.h"

#include <fmt/format.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <nlohmann/json.hpp>

#include "common/fs.h"
#include "common/time_util.h"
#include "config/config.h"
#include "net/spool.h"
#include "pipeline/pipeline.h"
#include "pipeline/stage_runner.h"

namespace dicomlake::pipeline {
namespace {

using Clock = std::chrono::steady_clock;

// A temporary file not written for this long belongs to no live receiver (they write at least
// once per DIMSE timeout).
constexpr int64_t kStalePartSeconds = 3600;

// The associations that ended, handed from the receiver's threads to the service's.
class Inbox {
 public:
  void Put(const net::AssociationRecord& r) {
    std::lock_guard<std::mutex> lock(mu_);
    records_.push_back(r);
    cv_.notify_one();
  }
  std::deque<net::AssociationRecord> Take(std::chrono::milliseconds wait) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, wait, [this] { return !records_.empty(); });
    std::deque<net::AssociationRecord> out;
    out.swap(records_);
    return out;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<net::AssociationRecord> records_;
};

// "association from AET (address)" or "STOW-RS request from address", for messages.
std::string Describe(const net::AssociationRecord& r) {
  if (r.protocol == "STOW-RS") return "STOW-RS request from " + r.peer_address;
  return "association from " + r.calling_ae + " (" + r.peer_address + ")";
}

// One BusinessEvents row per association, in one run of the receive activity.
Status RecordAssociations(const lake::Lake& lake, lake::Engine& engine,
                          const config::Config& config,
                          const std::deque<net::AssociationRecord>& records) {
  static const StageSpec kSpec{"receive", kReceiveActivity, "bronze"};
  std::string run_id;
  return RunStage(
             kSpec, lake, engine, config,
             [&records](StageRun& run) {
               int64_t stored = 0, failed = 0, bytes = 0;
               for (const auto& r : records) {
                 nlohmann::ordered_json d;
                 d["protocol"] = r.protocol;
                 d["callingAETitle"] = r.calling_ae;
                 d["calledAETitle"] = r.called_ae;
                 d["peer"] = r.peer_address;
                 d["started"] = FormatTimestampIso(r.started_us, 3);
                 d["ended"] = FormatTimestampIso(r.ended_us, 3);
                 d["stored"] = r.stored;
                 d["failed"] = r.failed;
                 d["bytes"] = r.bytes;
                 d["end"] = r.end;
                 d["failures"] = r.failures;
                 BusinessEvent e;
                 e.event_type = r.protocol == "STOW-RS" ? "stow-rs request" : "association";
                 e.severity =
                     r.failed > 0 || r.end.rfind("refused", 0) == 0 ? "Warning" : "Information";
                 e.record_identifier =
                     r.protocol == "STOW-RS" ? r.peer_address : r.calling_ae + "@" + r.peer_address;
                 e.target_table_name = "ImagingDicom";
                 e.message = fmt::format("{}: {} stored, {} failed; {}", Describe(r), r.stored,
                                         r.failed, r.end);
                 e.custom_dimensions =
                     d.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
                 run.AddEvent(std::move(e));
                 stored += r.stored;
                 failed += r.failed;
                 bytes += r.bytes;
               }
               run.summary.source_lakehouse = run.summary.target_lakehouse = "bronze";
               run.summary.source_records = stored + failed;
               run.summary.target_records = stored;
               run.summary.source_bytes = bytes;
               run.summary.status = failed > 0 ? "SucceededWithFailures" : "Succeeded";
               run.summary.attributes = {{"associations", std::to_string(records.size())},
                                         {"failedCount", std::to_string(failed)}};
               return Status::Ok();
             },
             &run_id)
      .status();
}

}  // namespace

Result<ListenSummary> RunListen(const lake::Lake& lake, lake::Engine& engine,
                                const config::Config& config, ListenOptions options,
                                const std::atomic<bool>& stop) {
  if (options.namespace_name.empty())
    options.namespace_name = config.settings().global.default_namespace;
  options.receiver.spool =
      fs::Join(lake.FilesPath("bronze"), "Ingest/Imaging/DICOM/" + options.namespace_name);
  auto say = [&options](const std::string& line) {
    if (options.say) options.say(line);
  };
  const int stale = net::RemoveStaleParts(options.receiver.spool, kStalePartSeconds);
  if (stale > 0) say(fmt::format("removed {} partial file(s) a stopped receiver left", stale));
  Inbox inbox;
  net::StorageReceiver receiver;
  DL_RETURN_IF_ERROR(receiver.Start(options.receiver,
                                    [&inbox](const net::AssociationRecord& r) { inbox.Put(r); }));
  net::StowServer stow;
  if (options.http_port >= 0) {
    net::StowOptions http;
    http.bind_address = options.receiver.bind_address;
    http.port = options.http_port;
    http.spool = options.receiver.spool;
    http.max_requests = options.receiver.max_associations;
    http.max_request_bytes = options.max_request_bytes;
    Status started = stow.Start(http, [&inbox](const net::AssociationRecord& r) { inbox.Put(r); });
    if (!started.ok()) {
      receiver.Stop();
      return started;
    }
  }
  if (options.listening)
    options.listening(receiver.port(), options.http_port >= 0 ? stow.port() : -1);

  ListenSummary summary;
  int64_t waiting = 0;  // stored, not yet ingested
  Clock::time_point first_waiting{}, last_end = Clock::now(), retry_after{};
  std::deque<net::AssociationRecord> unrecorded;
  auto ingest = [&](bool final_batch) -> Status {
    if (!unrecorded.empty()) {
      DL_RETURN_IF_ERROR(RecordAssociations(lake, engine, config, unrecorded));
      unrecorded.clear();
    }
    if (waiting == 0) return Status::Ok();
    PipelineOptions run;
    run.ingest.only_namespace = options.namespace_name;
    auto result = RunAll(lake, engine, config, run);
    if (!result.ok() && result.status().code() == StatusCode::kConflict && !final_batch) {
      say("another run holds the lake; the batch waits: " + result.status().message());
      retry_after = Clock::now() + std::chrono::seconds(5);
      return Status::Ok();
    }
    if (!result.ok()) return result.status();
    summary.batches++;
    summary.instances_added += result->ingest.instances_added;
    say(
        fmt::format("batch: {} received instance(s) ingested: {} added, {} already in the lake, "
                    "{} failed",
                    waiting, result->ingest.instances_added, result->ingest.duplicates_skipped,
                    result->ingest.failed));
    waiting = 0;
    return Status::Ok();
  };

  Status failure;
  while (!stop.load() && failure.ok()) {
    for (auto& r : inbox.Take(std::chrono::milliseconds(200))) {
      if (r.end.rfind("refused", 0) == 0) {
        summary.refused++;
      } else {
        summary.associations++;
      }
      summary.instances_received += r.stored;
      summary.instances_failed += r.failed;
      if (r.stored > 0 && waiting == 0) first_waiting = Clock::now();
      waiting += r.stored;
      last_end = Clock::now();
      say(fmt::format("{}: {} stored, {} failed; {}", Describe(r), r.stored, r.failed, r.end));
      unrecorded.push_back(std::move(r));
    }
    const auto now = Clock::now();
    const bool quiet = receiver.active() == 0 && stow.active() == 0 &&
                       now - last_end >= std::chrono::duration<double>(options.quiet_seconds);
    const bool overdue = waiting > 0 && now - first_waiting >=
                                            std::chrono::duration<double>(options.max_wait_seconds);
    if ((quiet || overdue) && (waiting > 0 || !unrecorded.empty()) && now >= retry_after) {
      failure = ingest(false);
    }
  }
  // Stop: the associations and requests in progress finish; what they stored is ingested.
  receiver.Stop();
  stow.Stop();
  for (auto& r : inbox.Take(std::chrono::milliseconds(0))) {
    summary.associations++;
    summary.instances_received += r.stored;
    summary.instances_failed += r.failed;
    waiting += r.stored;
    unrecorded.push_back(std::move(r));
  }
  if (!failure.ok()) return failure;
  DL_RETURN_IF_ERROR(ingest(true));
  return summary;
}

}  // namespace dicomlake::pipeline
