// `dicomlake ingest <lake>`: DICOM files, archives and folders into bronze ImagingDicom.
// Exit 0 when everything was ingested, 3 when some files failed (see admin.BusinessEvents).
#include <unistd.h>

#include <cstdio>

#include "cli.h"
#include "pipeline/ingest_stage.h"

namespace dicomlake::cli {
namespace {

struct IngestArgs {
  std::string pattern = "ingest", name_space, source;
};

Result<pipeline::IngestSummary> Ingest(Session& session, const IngestArgs& args, bool interactive) {
  pipeline::IngestOptions options;
  DL_ASSIGN_OR_RETURN(options.pattern, pipeline::ParseIngestPattern(args.pattern));
  options.only_namespace = args.name_space;
  options.source_dir = args.source;
  ProgressBar bar;
  bool show_progress = interactive && isatty(STDERR_FILENO);
  if (show_progress)
    options.progress = [&bar](int64_t done, int64_t total) { bar.Update(done, total); };
  auto summary = pipeline::RunIngest(*session.lake, *session.engine, session.config, options);
  if (show_progress) bar.Finish();
  return summary;
}

void Print(const pipeline::IngestSummary& s) {
  std::printf(
      "ingest run %s: %lld files seen, %lld instances added, %lld duplicates skipped, %lld "
      "failed",
      s.run_id.c_str(), static_cast<long long>(s.files_seen),
      static_cast<long long>(s.instances_added), static_cast<long long>(s.duplicates_skipped),
      static_cast<long long>(s.failed));
  if (s.files_unchanged > 0)
    std::printf(", %lld unchanged", static_cast<long long>(s.files_unchanged));
  std::printf(" in %.1f s (%.1f MB read)\n", s.elapsed_seconds, s.bytes_read / 1e6);
  for (const auto& f : s.failures)
    std::printf("  failed: %s: %s\n", f.path.c_str(), f.reason.c_str());
}

}  // namespace

void RegisterIngest(CLI::App& app, GlobalOptions& global, int* exit_code) {
  auto args = std::make_shared<IngestArgs>();
  auto* cmd = AddStageCommand<pipeline::IngestSummary>(
      app, "ingest", "Read DICOM files, folders and ZIP/TAR archives into bronze ImagingDicom",
      global, exit_code,
      [args](Session& session, bool interactive) { return Ingest(session, *args, interactive); },
      Print);
  cmd->add_option("--pattern", args->pattern,
                  "ingest: files dropped in bronze/Files/Ingest/Imaging/DICOM/<namespace>/, "
                  "stored compressed under Process and removed from Ingest; byos: files read in "
                  "place (bronze/Files/External/... or --source)")
      ->capture_default_str();
  cmd->add_option("--namespace", args->name_space,
                  "Only this namespace (first folder level below the source)");
  cmd->add_option("--source", args->source, "byos: the folder to read in place");
}

}  // namespace dicomlake::cli
