// `dicomlake ingest <lake>`: DICOM files, archives and folders into bronze ImagingDicom.
// Exit 0 when everything was ingested, 3 when some files failed (see admin.BusinessEvents).
#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "cli.h"
#include "pipeline/ingest_stage.h"

namespace dicomlake::cli {

void RegisterIngest(CLI::App& app, GlobalOptions& global, int* exit_code) {
  auto* cmd = app.add_subcommand(
      "ingest", "Read DICOM files, folders and ZIP/TAR archives into bronze ImagingDicom");
  struct Args {
    std::string lake, pattern = "ingest", name_space, source;
    bool json = false;
  };
  auto args = std::make_shared<Args>();
  cmd->add_option("lake", args->lake, "Folder of the lake")->required();
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
  cmd->callback([&global, exit_code, args] {
    auto pattern = pipeline::ParseIngestPattern(args->pattern);
    if (!pattern.ok()) {
      *exit_code = Fail(pattern.status(), kExitUsage);
      return;
    }
    auto session = OpenSession(args->lake, global, {}, exit_code);
    if (!session.ok()) {
      *exit_code = Fail(session.status(), *exit_code);
      return;
    }
    pipeline::IngestOptions options;
    options.pattern = *pattern;
    options.only_namespace = args->name_space;
    options.source_dir = args->source;
    ProgressBar bar;
    bool show_progress = !global.quiet && !args->json && isatty(STDERR_FILENO);
    if (show_progress)
      options.progress = [&bar](int64_t done, int64_t total) { bar.Update(done, total); };
    auto summary = pipeline::RunIngest(*session->lake, *session->engine, session->config, options);
    if (show_progress) bar.Finish();
    if (!summary.ok()) {
      *exit_code = Fail(summary.status());
      return;
    }
    if (args->json) {
      std::cout << summary->ToJson() << "\n";
    } else if (!global.quiet) {
      std::printf(
          "ingest run %s: %lld files seen, %lld instances added, %lld duplicates skipped, %lld "
          "failed",
          summary->run_id.c_str(), static_cast<long long>(summary->files_seen),
          static_cast<long long>(summary->instances_added),
          static_cast<long long>(summary->duplicates_skipped),
          static_cast<long long>(summary->failed));
      if (summary->files_unchanged > 0)
        std::printf(", %lld unchanged", static_cast<long long>(summary->files_unchanged));
      std::printf(" in %.1f s (%.1f MB read)\n", summary->elapsed_seconds,
                  summary->bytes_read / 1e6);
      for (const auto& f : summary->failures)
        std::printf("  failed: %s: %s\n", f.path.c_str(), f.reason.c_str());
    }
    *exit_code = summary->failed > 0 ? kExitInputFailures : kExitOk;
  });
}

}  // namespace dicomlake::cli
