// `dicomlake ingest <lake>`: DICOM files, archives and folders into bronze ImagingDicom.
// Exit 0 when everything was ingested, 3 when some files failed (see admin.BusinessEvents).
#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "cli.h"
#include "pipeline/ingest_stage.h"

namespace dicomlake::cli {
namespace {

struct IngestArgs {
  std::string pattern = "ingest", name_space, source;
  bool json = false;
};

Result<int> Ingest(Session& session, const GlobalOptions& global, const IngestArgs& args) {
  DL_ASSIGN_OR_RETURN(auto pattern, pipeline::ParseIngestPattern(args.pattern));
  pipeline::IngestOptions options;
  options.pattern = pattern;
  options.only_namespace = args.name_space;
  options.source_dir = args.source;
  ProgressBar bar;
  bool show_progress = !global.quiet && !args.json && isatty(STDERR_FILENO);
  if (show_progress)
    options.progress = [&bar](int64_t done, int64_t total) { bar.Update(done, total); };
  auto run = pipeline::RunIngest(*session.lake, *session.engine, session.config, options);
  if (show_progress) bar.Finish();
  DL_ASSIGN_OR_RETURN(auto summary, std::move(run));
  if (args.json) {
    std::cout << summary.ToJson() << "\n";
  } else if (!global.quiet) {
    std::printf(
        "ingest run %s: %lld files seen, %lld instances added, %lld duplicates skipped, %lld "
        "failed",
        summary.run_id.c_str(), static_cast<long long>(summary.files_seen),
        static_cast<long long>(summary.instances_added),
        static_cast<long long>(summary.duplicates_skipped), static_cast<long long>(summary.failed));
    if (summary.files_unchanged > 0)
      std::printf(", %lld unchanged", static_cast<long long>(summary.files_unchanged));
    std::printf(" in %.1f s (%.1f MB read)\n", summary.elapsed_seconds, summary.bytes_read / 1e6);
    for (const auto& f : summary.failures)
      std::printf("  failed: %s: %s\n", f.path.c_str(), f.reason.c_str());
  }
  return summary.failed > 0 ? kExitInputFailures : kExitOk;
}

}  // namespace

void RegisterIngest(CLI::App& app, GlobalOptions& global, int* exit_code) {
  auto args = std::make_shared<IngestArgs>();
  auto* cmd = AddLakeCommand(
      app, "ingest", "Read DICOM files, folders and ZIP/TAR archives into bronze ImagingDicom",
      global, exit_code,
      [&global, args](Session& session) { return Ingest(session, global, *args); });
  cmd->add_option("--pattern", args->pattern,
                  "ingest: files dropped in bronze/Files/Ingest/Imaging/DICOM/<namespace>/, stored "
                  "compressed under "
                  "Process and removed from Ingest; byos: files read in place "
                  "(bronze/Files/External/... or --source)")
      ->capture_default_str();
  cmd->add_option("--namespace", args->name_space,
                  "Only this namespace (first folder level below the source)");
  cmd->add_option("--source", args->source, "byos: the folder to read in place");
  cmd->add_flag("--json", args->json, "Print the run summary as JSON");
}

}  // namespace dicomlake::cli
