// `dicomlake ingest <lake>`: DICOM files, archives and folders into bronze ImagingDicom.
// Exit 0 when everything was ingested, 3 when some files failed (see admin.BusinessEvents),
// 2 for a usage error (an unknown pattern, a --source that is not a folder).
#include <unistd.h>

#include <cstdio>

#include "cli.h"
#include "pipeline/ingest_stage.h"
#include "source_options.h"

namespace dicomlake::cli {
namespace {

Result<pipeline::IngestSummary> Ingest(Session& session, const SourceArgs& args, bool interactive) {
  DL_ASSIGN_OR_RETURN(pipeline::IngestOptions options, IngestOptionsFrom(args));
  ProgressBar bar;
  bool show_progress = interactive && isatty(STDERR_FILENO);
  if (show_progress)
    options.progress = [&bar](int64_t done, int64_t total) { bar.Update(done, total); };
  auto summary = pipeline::RunIngest(*session.lake, *session.engine, session.config, options);
  if (show_progress) bar.Finish();
  return summary;
}

// When nothing was read, says why: an empty source, or files none of which is DICOM.
void ExplainNothingRead(const pipeline::IngestSummary& s) {
  if (s.instances_read > 0 || s.files_unchanged > 0 || s.directories_skipped > 0 ||
      s.operations_recorded > 0 || s.operation_files_failed > 0)
    return;
  if (s.files_seen == 0) {
    std::printf(
        "  nothing to ingest: no files in %s (hidden files are skipped); drop DICOM files "
        "or archives there, or read a folder in place with --source DIR\n",
        s.source.c_str());
    return;
  }
  std::string kinds;
  for (const auto& [kind, n] : s.failure_kinds)
    kinds += (kinds.empty() ? "" : ", ") + std::to_string(n) + " " + kind;
  std::printf("  none of the %lld files seen in %s was read as DICOM (%s)\n",
              static_cast<long long>(s.files_seen), s.source.c_str(), kinds.c_str());
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
  if (s.failed > static_cast<int64_t>(s.failures.size())) {
    std::printf("  ... and %lld more failures (admin.BusinessEvents has them all)\n",
                static_cast<long long>(s.failed - static_cast<int64_t>(s.failures.size())));
  }
  if (s.operations_recorded > 0 || s.operation_files_failed > 0) {
    std::printf(
        "  operations folder: %lld operations recorded, %lld files refused (moved to "
        "Failed/Imaging/OPERATIONS; admin.BusinessEvents says why)\n",
        static_cast<long long>(s.operations_recorded),
        static_cast<long long>(s.operation_files_failed));
  }
  ExplainNothingRead(s);
}

}  // namespace

void RegisterIngest(CLI::App& app, GlobalOptions& global, int* exit_code) {
  auto args = std::make_shared<SourceArgs>();
  auto* cmd = AddStageCommand<pipeline::IngestSummary>(
      app, "ingest", "Read DICOM files, folders and ZIP/TAR archives into bronze ImagingDicom",
      global, exit_code,
      [args](Session& session, bool interactive) { return Ingest(session, *args, interactive); },
      Print);
  AddSourceOptions(cmd, args.get());
}

}  // namespace dicomlake::cli
