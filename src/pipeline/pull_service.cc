#include "pipeline/pull_service.h"

#include <fmt/format.h>

#include <map>
#include <nlohmann/json.hpp>

#include "common/fs.h"
#include "common/time_util.h"
#include "config/config.h"
#include "lake/engine.h"
#include "net/dicomweb_client.h"
#include "net/spool.h"
#include "pipeline/pipeline.h"
#include "pipeline/stage_runner.h"

namespace dicomlake::pipeline {
namespace {

const StageSpec kPullSpec{"pull", kPullActivity, "bronze"};

// The server as messages and the watermark name it: scheme, host, port and path, without user
// information or query.
std::string SourceName(const std::string& url) {
  std::string out = url.substr(0, url.find('?'));
  const size_t scheme = out.find("://");
  const size_t at = out.find('@');
  if (scheme != std::string::npos && at != std::string::npos && at > scheme)
    out = out.substr(0, scheme + 3) + out.substr(at + 1);
  while (!out.empty() && out.back() == '/') out.pop_back();
  return out;
}

// The spool folder's source component: "DICOMWEB_<host>_<port>".
std::string SpoolSource(const std::string& source) {
  std::string host = source;
  const size_t scheme = host.find("://");
  if (scheme != std::string::npos) host = host.substr(scheme + 3);
  host = host.substr(0, host.find('/'));
  return "DICOMWEB_" + host;
}

std::string Today() {
  const std::string iso = FormatTimestampIso(NowMicros(), 0);
  return iso.substr(0, 4) + iso.substr(5, 2) + iso.substr(8, 2);
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
  if (options.dicomweb_url.empty()) return InvalidArgument("pull needs a source (--dicomweb URL)");
  if (options.namespace_name.empty())
    options.namespace_name = config.settings().global.default_namespace;
  auto say = [&options](const std::string& line) {
    if (options.say) options.say(line);
  };
  PullSummary summary;
  summary.source = SourceName(options.dicomweb_url);
  std::vector<std::string> warnings;  // tables that cannot be read: left to the stages to report
  DL_RETURN_IF_ERROR(lake.RegisterViews(engine, &warnings));
  if (options.since.empty() && options.studies.empty()) {
    DL_ASSIGN_OR_RETURN(options.since, Watermark(engine, summary.source, options.namespace_name));
    if (!options.since.empty()) say("from the watermark of the last pull: " + options.since);
  }
  if (options.until.empty() && options.studies.empty()) options.until = Today();
  summary.since = options.since;
  summary.until = options.until;

  // What the server has.
  std::vector<net::RemoteStudy> remote;
  net::StudyQuery query;
  query.modality = options.modality;
  if (!options.since.empty() || !options.until.empty())
    query.study_date = options.since + "-" + options.until;
  if (options.studies.empty()) {
    DL_ASSIGN_OR_RETURN(remote, net::QueryStudies(options.dicomweb_url, query, options.auth));
  } else {
    for (const auto& uid : options.studies) {
      query.study_instance_uid = uid;
      query.study_date.clear();
      DL_ASSIGN_OR_RETURN(auto found, net::QueryStudies(options.dicomweb_url, query, options.auth));
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
  const std::string folder = net::SpoolFolder(
      fs::Join(lake.FilesPath("bronze"), "Ingest/Imaging/DICOM/" + options.namespace_name),
      SpoolSource(summary.source));

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
              auto got = net::RetrieveStudy(options.dicomweb_url, study.study_instance_uid,
                                            options.auth, folder);
              nlohmann::ordered_json d;
              d["source"] = summary.source;
              d["studyInstanceUid"] = study.study_instance_uid;
              d["instancesOnServer"] = study.instances;
              if (!got.ok()) {
                summary.studies_failed++;
                run.AddEvent({kPullActivity, "study", "Error", "", summary.source, folder,
                              study.study_instance_uid, "ImagingDicom",
                              "cannot retrieve the study: " + got.status().message(), d.dump()});
                say("failed: " + study.study_instance_uid + ": " + got.status().message());
                waiting++;  // what arrived before the fault is ingested
                continue;
              }
              std::vector<std::string> failures;
              for (const auto& p : got->parts) {
                if (p.failure_reason != 0)
                  failures.push_back((p.sop_instance_uid.empty() ? "?" : p.sop_instance_uid) +
                                     ": " + p.reason);
              }
              summary.studies_retrieved++;
              summary.instances_received += static_cast<int64_t>(got->files.size());
              summary.parts_failed += static_cast<int64_t>(failures.size());
              summary.bytes += got->bytes;
              d["received"] = got->files.size();
              d["failed"] = failures;
              d["bytes"] = got->bytes;
              d["asStored"] = got->as_stored;
              run.AddEvent({kPullActivity, "study", failures.empty() ? "Information" : "Warning",
                            "", summary.source, folder, study.study_instance_uid, "ImagingDicom",
                            fmt::format("retrieved {} instance(s), {} part(s) refused",
                                        got->files.size(), failures.size()),
                            d.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)});
              say(fmt::format(
                  "retrieved {}: {} instance(s){}", study.study_instance_uid, got->files.size(),
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
