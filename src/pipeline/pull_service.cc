#include "pipeline/pull_service.h"

#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>

#include "common/fs.h"
#include "common/time_util.h"
#include "config/config.h"
#include "lake/engine.h"
#include "net/dicomweb_client.h"
#include "net/dimse_client.h"
#include "net/spool.h"
#include "net/storage_receiver.h"
#include "pipeline/pipeline.h"
#include "pipeline/stage_runner.h"

namespace dicomlake::pipeline {
namespace {

const StageSpec kPullSpec{"pull", kPullActivity, "bronze"};

// The server as messages and the watermark name it: scheme, host, port and path, without user
// information or query.
std::string SourceName(const std::string& url) {
  std::string out = net::UrlForMessages(url);
  while (!out.empty() && out.back() == '/') out.pop_back();
  return out;
}

// The spool folder's source component: "DICOMWEB_<host>_<port>" or "DIMSE_<AET>".
std::string SpoolSource(const std::string& source) {
  std::string host = source;
  const size_t scheme = host.find("://");
  const std::string kind = source.rfind("dimse:", 0) == 0 ? "DIMSE_" : "DICOMWEB_";
  if (scheme != std::string::npos) host = host.substr(scheme + 3);
  host = host.substr(0, host.find(kind == "DIMSE_" ? '@' : '/'));
  return kind + host;
}

// What one study's retrieval brought.
struct Retrieved {
  int64_t instances = 0, bytes = 0;
  std::vector<std::string> failures;  // "<SOP Instance UID>: reason"
  bool as_stored = true;
};

// A source: how studies are listed and retrieved.
struct Source {
  std::string name;  // for messages and the watermark, without credentials
  std::function<Result<std::vector<net::RemoteStudy>>(const net::StudyQuery&)> find;
  std::function<Result<Retrieved>(const net::RemoteStudy&)> retrieve;
};

Source DicomWebSource(const PullOptions& o, const std::string& folder) {
  Source s;
  s.name = SourceName(o.dicomweb_url);
  s.find = [&o](const net::StudyQuery& q) { return net::QueryStudies(o.dicomweb_url, q, o.auth); };
  s.retrieve = [&o, folder](const net::RemoteStudy& study) -> Result<Retrieved> {
    DL_ASSIGN_OR_RETURN(
        auto got, net::RetrieveStudy(o.dicomweb_url, study.study_instance_uid, o.auth, folder));
    Retrieved r;
    r.instances = static_cast<int64_t>(got.files.size());
    r.bytes = got.bytes;
    r.as_stored = got.as_stored;
    for (const auto& p : got.parts) {
      if (p.failure_reason != 0)
        r.failures.push_back((p.sop_instance_uid.empty() ? "?" : p.sop_instance_uid) + ": " +
                             p.reason);
    }
    return r;
  };
  return s;
}

// C-FIND, then C-GET into `folder`, or C-MOVE to `receiver` (running, as `o.calling_ae`).
Source DimseSource(const PullOptions& o, const net::DimsePeer& peer, const std::string& folder,
                   net::StorageReceiver* receiver, const std::atomic<int64_t>* moved_bytes) {
  Source s;
  s.name = "dimse://" + peer.ae_title + "@" + peer.host + ":" + std::to_string(peer.port);
  s.find = [peer](const net::StudyQuery& q) { return net::FindStudies(peer, q); };
  s.retrieve = [&o, peer, folder, receiver,
                moved_bytes](const net::RemoteStudy& study) -> Result<Retrieved> {
    net::DimseRetrieval got;
    const int64_t bytes_before = moved_bytes->load();
    if (o.move) {
      DL_ASSIGN_OR_RETURN(got, net::MoveStudy(peer, study.study_instance_uid, o.calling_ae));
      // The peer's sub-associations end (and their files are durable) before its final C-MOVE
      // response; wait for them to be released on our side too.
      for (int i = 0; i < 300 && receiver->active() > 0; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    } else {
      DL_ASSIGN_OR_RETURN(got, net::GetStudy(peer, study, folder));
    }
    Retrieved r;
    r.instances = o.move ? got.completed + got.warnings : static_cast<int64_t>(got.files.size());
    r.bytes = o.move ? moved_bytes->load() - bytes_before : got.bytes;
    r.failures = got.failures;
    if (got.failed > static_cast<int64_t>(got.failures.size())) {
      r.failures.push_back(fmt::format("{} instance(s) the peer reports it could not send",
                                       got.failed - static_cast<int64_t>(got.failures.size())));
    }
    return r;
  };
  return s;
}

bool TableExists(lake::Engine& engine, const char* schema, const char* table) {
  auto r = engine.Query(
      fmt::format("SELECT count(*) FROM information_schema.tables WHERE table_schema = '{}' AND "
                  "table_name = '{}'",
                  schema, table));
  return r.ok() && !r->rows.empty() && r->rows[0][0].i > 0;
}

// The end of the last complete pull from `source` into `ns` (YYYYMMDD), or "".
Result<std::string> Watermark(lake::Engine& engine, const std::string& source,
                              const std::string& ns) {
  if (!TableExists(engine, "admin", "BusinessEvents")) return std::string();
  DL_ASSIGN_OR_RETURN(
      lake::QueryResult r,
      engine.Query(fmt::format(
          "SELECT max(json_extract_string(customDimensions, '$.until')) FROM "
          "admin.BusinessEvents WHERE activityName = '{}' AND eventType = 'watermark' AND "
          "json_extract_string(customDimensions, '$.source') = {} AND "
          "json_extract_string(customDimensions, '$.namespace') = {}",
          kPullActivity, lake::QuoteLiteral(source), lake::QuoteLiteral(ns))));
  if (r.rows.empty() || r.rows[0][0].kind == lake::Value::Kind::kNull) return std::string();
  return r.rows[0][0].s;
}

// Instances in bronze per study (current versions, deleted ones included: a deleted instance is
// not pulled again).
Result<std::map<std::string, int64_t>> InstancesInBronze(lake::Engine& engine) {
  std::map<std::string, int64_t> out;
  if (!TableExists(engine, "bronze", "ImagingDicom")) return out;
  DL_ASSIGN_OR_RETURN(lake::QueryResult r,
                      engine.Query("SELECT studyInstanceUid, count(DISTINCT sopInstanceUid) FROM "
                                   "bronze.ImagingDicom WHERE operation IS NULL AND "
                                   "studyInstanceUid IS NOT NULL GROUP BY ALL"));
  for (const auto& row : r.rows) out[row[0].s] = row[1].i;
  return out;
}

}  // namespace

Result<PullSummary> RunPull(const lake::Lake& lake, lake::Engine& engine,
                            const config::Config& config, PullOptions options) {
  if (options.dicomweb_url.empty() == options.dimse_peer.empty())
    return InvalidArgument("pull needs one source: --dicomweb URL or --dimse AET@host:port");
  if (options.namespace_name.empty())
    options.namespace_name = config.settings().global.default_namespace;
  auto say = [&options](const std::string& line) {
    if (options.say) options.say(line);
  };
  const std::string drop =
      fs::Join(lake.FilesPath("bronze"), "Ingest/Imaging/DICOM/" + options.namespace_name);
  // Temporary files a killed pull or receiver left (none is written for an hour by a live one).
  (void)net::RemoveStaleParts(drop, 3600);
  Source source;
  net::StorageReceiver receiver;  // C-MOVE's destination
  std::atomic<int64_t> moved_bytes{0};
  std::string folder;
  if (!options.dicomweb_url.empty()) {
    folder = net::SpoolFolder(drop, SpoolSource(SourceName(options.dicomweb_url)));
    source = DicomWebSource(options, folder);
  } else {
    DL_ASSIGN_OR_RETURN(net::DimsePeer peer, net::ParseDimsePeer(options.dimse_peer));
    peer.calling_ae = options.calling_ae;
    folder = net::SpoolFolder(drop, "DIMSE_" + peer.ae_title);
    if (options.move) {
      net::ReceiverOptions r;
      r.ae_title = options.calling_ae;
      r.bind_address = options.move_bind;
      r.port = options.move_port;
      r.spool = drop;
      r.allowed_callers = {peer.ae_title};
      DL_RETURN_IF_ERROR(receiver.Start(
          r, [&moved_bytes](const net::AssociationRecord& a) { moved_bytes += a.bytes; }));
    }
    source = DimseSource(options, peer, folder, &receiver, &moved_bytes);
  }
  PullSummary summary;
  summary.source = source.name;
  std::vector<std::string> warnings;  // tables that cannot be read: left to the stages to report
  DL_RETURN_IF_ERROR(lake.RegisterViews(engine, &warnings));
  if (options.since.empty() && options.studies.empty()) {
    DL_ASSIGN_OR_RETURN(options.since, Watermark(engine, summary.source, options.namespace_name));
    if (!options.since.empty()) say("from the watermark of the last pull: " + options.since);
  }
  if (options.until.empty() && options.studies.empty())
    options.until = FormatDateCompact(NowMicros());
  summary.since = options.since;
  summary.until = options.until;

  // What the server has.
  std::vector<net::RemoteStudy> remote;
  net::StudyQuery query;
  query.modality = options.modality;
  if (!options.since.empty() || !options.until.empty())
    query.study_date = options.since + "-" + options.until;
  if (options.studies.empty()) {
    DL_ASSIGN_OR_RETURN(remote, source.find(query));
  } else {
    for (const auto& uid : options.studies) {
      query.study_instance_uid = uid;
      query.study_date.clear();
      DL_ASSIGN_OR_RETURN(auto found, source.find(query));
      if (found.empty()) {
        net::RemoteStudy s;  // not listed by the server: retrieved anyway (it may still answer)
        s.study_instance_uid = uid;
        found.push_back(s);
      }
      remote.insert(remote.end(), found.begin(), found.end());
    }
  }
  summary.studies_found = static_cast<int64_t>(remote.size());
  say(fmt::format("{}: {} stud{} found", summary.source, remote.size(),
                  remote.size() == 1 ? "y" : "ies"));
  DL_ASSIGN_OR_RETURN(auto in_bronze, InstancesInBronze(engine));

  std::string run_id;
  Status ran =
      RunStage(
          kPullSpec, lake, engine, config,
          [&](StageRun& run) -> Status {
            int64_t waiting = 0;  // retrieved studies not yet ingested
            auto ingest = [&]() -> Status {
              if (waiting == 0) return Status::Ok();
              PipelineOptions pipeline;
              pipeline.ingest.only_namespace = options.namespace_name;
              DL_ASSIGN_OR_RETURN(PipelineSummary s, RunAll(lake, engine, config, pipeline));
              summary.batches++;
              summary.instances_added += s.ingest.instances_added;
              say(
                  fmt::format("batch: {} stud{} ingested: {} instance(s) added, {} already in "
                              "the lake, {} failed",
                              waiting, waiting == 1 ? "y" : "ies", s.ingest.instances_added,
                              s.ingest.duplicates_skipped, s.ingest.failed));
              waiting = 0;
              return Status::Ok();
            };
            for (const auto& study : remote) {
              auto have = in_bronze.find(study.study_instance_uid);
              const int64_t stored = have == in_bronze.end() ? 0 : have->second;
              if (study.instances >= 0 && stored >= study.instances) {
                summary.studies_complete++;
                continue;
              }
              if (options.dry_run) {
                say(fmt::format("would retrieve {} ({} instance(s) there, {} in the lake)",
                                study.study_instance_uid, study.instances, stored));
                continue;
              }
              auto got = source.retrieve(study);
              nlohmann::ordered_json d;
              d["source"] = summary.source;
              d["studyInstanceUid"] = study.study_instance_uid;
              d["instancesOnServer"] = study.instances;
              if (!got.ok()) {
                summary.studies_failed++;
                run.AddEvent({kPullActivity, "study", "Error", "", summary.source, folder,
                              study.study_instance_uid, "ImagingDicom",
                              "cannot retrieve the study: " + got.status().message(),
                              d.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)});
                say("failed: " + study.study_instance_uid + ": " + got.status().message());
                waiting++;  // what arrived before the fault is ingested
                continue;
              }
              const std::vector<std::string>& failures = got->failures;
              summary.studies_retrieved++;
              summary.instances_received += got->instances;
              summary.parts_failed += static_cast<int64_t>(failures.size());
              summary.bytes += got->bytes;
              d["received"] = got->instances;
              d["failed"] = failures;
              d["bytes"] = got->bytes;
              d["asStored"] = got->as_stored;
              run.AddEvent({kPullActivity, "study", failures.empty() ? "Information" : "Warning",
                            "", summary.source, folder, study.study_instance_uid, "ImagingDicom",
                            fmt::format("retrieved {} instance(s), {} refused", got->instances,
                                        failures.size()),
                            d.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)});
              say(fmt::format(
                  "retrieved {}: {} instance(s){}", study.study_instance_uid, got->instances,
                  failures.empty() ? "" : fmt::format(", {} refused", failures.size())));
              if (++waiting >= options.batch_studies) DL_RETURN_IF_ERROR(ingest());
            }
            DL_RETURN_IF_ERROR(ingest());
            // Complete: every study was retrieved, so the next pull may start where this one
            // ended. A pull of named studies moves no watermark.
            if (summary.studies_failed == 0 && options.studies.empty() && !options.dry_run) {
              nlohmann::ordered_json w;
              w["source"] = summary.source;
              w["namespace"] = options.namespace_name;
              w["since"] = options.since;
              w["until"] = options.until;
              run.AddEvent({kPullActivity, "watermark", "Information", "", summary.source, "", "",
                            "ImagingDicom",
                            "pulled every study of " + options.since + "-" + options.until,
                            w.dump()});
              summary.watermark_recorded = true;
            }
            run.summary.source_lakehouse = run.summary.target_lakehouse = "bronze";
            run.summary.source_records = summary.instances_received + summary.parts_failed;
            run.summary.target_records = summary.instances_received;
            run.summary.source_bytes = summary.bytes;
            run.summary.status = summary.studies_failed + summary.parts_failed > 0
                                     ? "SucceededWithFailures"
                                     : "Succeeded";
            run.summary.attributes = {
                {"source", summary.source},
                {"studiesFound", std::to_string(summary.studies_found)},
                {"studiesRetrieved", std::to_string(summary.studies_retrieved)},
                {"studiesFailed", std::to_string(summary.studies_failed)}};
            return Status::Ok();
          },
          &run_id)
          .status();
  if (!ran.ok()) return ran;
  return summary;
}

}  // namespace dicomlake::pipeline
