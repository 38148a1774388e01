#include "pipeline/restore_stage.h"

#include <fmt/format.h>

#include <mutex>
#include <nlohmann/json.hpp>

#include "bronze/file_store.h"
#include "common/fs.h"
#include "common/hash.h"
#include "common/parallel.h"
#include "config/config.h"
#include "lake/engine.h"
#include "lake/lake.h"
#include "pipeline/admin_tables.h"
#include "pipeline/export_series.h"
#include "pipeline/stage_runner.h"

namespace dicomlake::pipeline {

Result<RestoreLayout> ParseRestoreLayout(const std::string& name) {
  if (name == "original") return RestoreLayout::kOriginal;
  if (name == "study") return RestoreLayout::kStudy;
  return InvalidArgument("unknown layout \"" + name + "\" (original or study)");
}

std::string RestoreSummary::ToJson() const {
  nlohmann::ordered_json j;
  j["runId"] = run_id;
  j["to"] = to;
  j["instances"] = instances;
  j["restored"] = restored;
  j["bytes"] = bytes;
  j["failed"] = failed;
  j["failures"] = nlohmann::ordered_json::array();
  for (const auto& f : failures) {
    j["failures"].push_back({{"sopInstanceUid", f.sop_instance_uid},
                             {"filePath", f.file_path},
                             {"archiveMember", f.archive_member},
                             {"reason", f.reason}});
  }
  j["elapsedSeconds"] = elapsed_seconds;
  return j.dump(2);
}

namespace {

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string BaseName(const std::string& path) { return path.substr(path.find_last_of('/') + 1); }

// The archive path without its extension, or "" when `path` is not named as an archive.
std::string WithoutArchiveExtension(const std::string& path) {
  for (const char* ext : {".tar.gz", ".tgz", ".zip", ".tar"}) {
    if (EndsWith(path, ext)) return path.substr(0, path.size() - std::string(ext).size());
  }
  return "";
}

// `path` below its namespace's drop folder (".../Imaging/DICOM/<namespace>/..."), or the whole
// path without its leading '/' for a path read in place elsewhere.
std::string DeliveredRelative(const std::string& path, const std::string& name_space) {
  const std::string marker = "/Imaging/DICOM/" + name_space + "/";
  size_t at = path.find(marker);
  if (at != std::string::npos) return path.substr(at + marker.size());
  size_t start = path.find_first_not_of('/');
  return start == std::string::npos ? path : path.substr(start);
}

struct SeriesRestore {
  int64_t restored = 0, bytes = 0;
  std::vector<RestoreFailure> failures;
};

SeriesRestore RestoreSeries(const CohortSeries& s, const RestoreRequest& request,
                            const std::string& root, const std::string& scratch) {
  SeriesRestore out;
  std::vector<FileFailure> unreadable;
  // Archive members are extracted next to where they go (the same file system: a rename then
  // gives them their names); plain stored files are copied.
  std::vector<std::string> readable = MaterialiseOriginals(s, scratch, &unreadable);
  for (const auto& f : unreadable) {
    std::string sop;
    for (const auto& in : s.instances)
      if (in.file_path == f.path && in.archive_member == f.member) sop = in.sop_instance_uid;
    out.failures.push_back({sop, f.path, f.member, f.reason});
  }
  for (size_t k = 0; k < s.instances.size(); ++k) {
    const CohortInstance& in = s.instances[k];
    if (readable[k].empty()) continue;  // reported above
    const std::string dest = fs::Join(root, RestorePath(s, in, request.layout));
    auto fail = [&](const std::string& reason) {
      out.failures.push_back({in.sop_instance_uid, in.file_path, in.archive_member, reason});
    };
    if (Status made = fs::MakeDirs(dest.substr(0, dest.find_last_of('/'))); !made.ok()) {
      fail(made.message());
      continue;
    }
    int64_t bytes = 0;
    std::string hash;
    if (!in.archive_member.empty()) {
      // Extracted into the scratch folder: hash it, then move it into place.
      auto hashed = Xxh3File(readable[k], &bytes);
      if (!hashed.ok()) {
        fail(hashed.status().message());
        continue;
      }
      hash = *hashed;
      if (hash == in.content_hash) {
        if (Status moved = fs::Rename(readable[k], dest); !moved.ok()) {
          fail(moved.message());
          continue;
        }
      }
    } else {
      // Hashed in pieces first; only a copy with the recorded hash is written (temporary file,
      // fsync, rename), the second read mostly from the page cache.
      auto hashed = Xxh3File(readable[k], &bytes);
      if (!hashed.ok()) {
        fail(hashed.status().message());
        continue;
      }
      hash = *hashed;
      if (hash == in.content_hash) {
        if (Status copied = bronze::CopyFileDurable(readable[k], dest); !copied.ok()) {
          fail(copied.message());
          continue;
        }
      }
    }
    if (hash != in.content_hash) {
      fail(
          fmt::format("the stored copy is damaged: its hash is {}, bronze recorded {} ({} bytes, "
                      "{} recorded)",
                      hash, in.content_hash, bytes, in.file_size));
      continue;
    }
    ++out.restored;
    out.bytes += bytes;
  }
  (void)fs::RemoveAll(scratch);
  return out;
}

Status Restore(StageRun& run, const RestoreRequest& request, RestoreSummary* summary) {
  std::vector<std::string> warnings;
  DL_RETURN_IF_ERROR(run.lake.RegisterViews(run.engine, &warnings));
  DL_ASSIGN_OR_RETURN(std::vector<CohortSeries> cohort,
                      SelectCohort(run.lake, run.engine, request));
  if (cohort.empty()) return NotFound("the cohort holds no instance in bronze.ImagingDicom");
  const std::string root = fs::Absolute(request.to);
  DL_RETURN_IF_ERROR(fs::MakeDirs(root));
  const std::string scratch = fs::Join(root, ".dicomlake-restore-" + run.run_id());
  std::vector<SeriesRestore> results(cohort.size());
  int64_t total = 0, done = 0;
  for (const auto& s : cohort) total += static_cast<int64_t>(s.instances.size());
  std::mutex mutex;
  DL_RETURN_IF_ERROR(ParallelFor(cohort.size(), WorkerCount(request.threads), [&](size_t i) {
    results[i] = RestoreSeries(cohort[i], request, root, fs::Join(scratch, std::to_string(i)));
    std::lock_guard<std::mutex> lock(mutex);
    done += static_cast<int64_t>(cohort[i].instances.size());
    if (request.progress) request.progress(done, total);
  }));
  (void)fs::RemoveAll(scratch);
  summary->to = root;
  summary->instances = total;
  for (auto& r : results) {
    summary->restored += r.restored;
    summary->bytes += r.bytes;
    for (auto& f : r.failures) {
      BusinessEvent e;
      e.source_file_path = f.file_path;
      e.record_identifier = f.archive_member.empty() ? f.sop_instance_uid : f.archive_member;
      e.message = f.reason;
      e.custom_dimensions = nlohmann::json{{"sopInstanceUid", f.sop_instance_uid}}.dump();
      run.AddEvent(std::move(e));
      summary->failures.push_back(std::move(f));
    }
  }
  summary->failed = static_cast<int64_t>(summary->failures.size());
  ExecutionSummary& es = run.summary;
  es.status = summary->failed > 0 ? "SucceededWithFailures" : "Succeeded";
  es.source_path = run.lake.FilesPath("bronze");
  es.source_lakehouse = "bronze";
  es.target_path = root;
  es.source_records = summary->instances;
  es.target_records = summary->restored;
  es.target_files = summary->restored;
  es.target_bytes = summary->bytes;
  es.attributes = {{"layout", request.layout == RestoreLayout::kStudy ? "study" : "original"},
                   {"failedFiles", std::to_string(summary->failed)}};
  return Status::Ok();
}

}  // namespace

std::string RestorePath(const CohortSeries& series, const CohortInstance& in,
                        RestoreLayout layout) {
  if (layout == RestoreLayout::kStudy) {
    return SafeName(series.patient_id) + "/" + SafeName(series.study_instance_uid) + "/" +
           SafeName(series.series_instance_uid) + "/" + SafeName(in.sop_instance_uid) + ".dcm";
  }
  const std::string ns = in.namespace_name.empty() ? "default" : in.namespace_name;
  std::string delivered = DeliveredRelative(in.source_file_path, ns);
  // A member of a delivered archive (not the one-entry ZIP the Ingest pattern keeps of a plain
  // file, whose member is the file's own name).
  if (!in.archive_member.empty() && in.archive_member != BaseName(in.source_file_path)) {
    std::string stem = WithoutArchiveExtension(delivered);
    delivered = (stem.empty() ? delivered + ".d" : stem) + "/" + in.archive_member;
  }
  if (delivered.empty()) delivered = SafeName(in.sop_instance_uid) + ".dcm";
  return SafeName(ns) + "/" + delivered;
}

Result<RestoreSummary> RunRestore(const lake::Lake& lake, lake::Engine& engine,
                                  const config::Config& config, const RestoreRequest& request) {
  if (request.empty()) {
    return InvalidArgument("no cohort: give --sql, --study, --series or --patient");
  }
  if (request.to.empty()) return InvalidArgument("no output folder: give --to");
  static const StageSpec kRestore{"restore", kRestoreActivity, "admin"};
  return RunStageFor<RestoreSummary>(kRestore, lake, engine, config,
                                     [&request](StageRun& run, RestoreSummary* summary) {
                                       return Restore(run, request, summary);
                                     });
}

}  // namespace dicomlake::pipeline
