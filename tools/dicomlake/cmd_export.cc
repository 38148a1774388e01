// `dicomlake export LAKE (--sql QUERY | --study UID | --series UID | --patient ID)... --to DIR
// [--format nifti|npy|png|dicom]`: a cohort's images as NIfTI volumes, NumPy arrays, PNG
// previews or the original files, with manifest.csv and a MONAI datalist (docs/pixels.md).
// Exit code 3 when some files could not be read or decoded (the rest are exported).
#include <cstdio>

#include "cli.h"
#include "cohort_options.h"
#include "pipeline/export_stage.h"

namespace dicomlake::cli {

void RegisterExport(CLI::App& app, GlobalOptions& global, int* exit_code) {
  struct Args {
    pipeline::ExportRequest request;
    std::string format = "nifti";
    bool json = false;
  };
  auto args = std::make_shared<Args>();
  auto body = [&global, args](Session& session) -> Result<int> {
    DL_ASSIGN_OR_RETURN(args->request.format, pipeline::ParseExportFormat(args->format));
    bool interactive = !global.quiet && !args->json;
    ProgressBar bar("series");
    if (interactive) args->request.progress = [&bar](int64_t d, int64_t n) { bar.Update(d, n); };
    DL_ASSIGN_OR_RETURN(
        pipeline::ExportSummary s,
        pipeline::RunExport(*session.lake, *session.engine, session.config, args->request));
    if (interactive) bar.Finish();
    if (args->json) {
      std::printf("%s\n", s.ToJson().c_str());
    } else if (!global.quiet) {
      std::printf(
          "export run %s (%s): %lld series, %lld instances -> %lld outputs, %lld files, %.1f MB "
          "in %s; %lld file(s) not readable or decodable, %lld series with a problem (see the "
          "manifest's problem column); %.1f s\n  manifest: %s\n  MONAI datalist: %s\n",
          s.run_id.c_str(), args->format.c_str(), static_cast<long long>(s.series),
          static_cast<long long>(s.instances), static_cast<long long>(s.outputs),
          static_cast<long long>(s.files_written), static_cast<double>(s.bytes_written) / 1e6,
          args->request.to.c_str(), static_cast<long long>(s.failed),
          static_cast<long long>(s.series_with_problems), s.elapsed_seconds,
          s.manifest_path.c_str(), s.datalist_path.c_str());
    }
    return s.failed > 0 ? kExitInputFailures : kExitOk;
  };
  auto* cmd = AddLakeCommand(
      app, "export",
      "Export a cohort's images (NIfTI volumes, NumPy arrays, PNG previews or the original DICOM "
      "files) with manifest.csv and a MONAI datalist.json",
      global, exit_code, body);
  AddCohortOptions(cmd, &args->request);
  cmd->add_option("--to", args->request.to, "Output folder (created if needed)")->required();
  cmd->add_option("--format", args->format, "nifti (default), npy, png or dicom")
      ->check(CLI::IsMember({"nifti", "npy", "png", "dicom"}));
  cmd->add_option("--threads", args->request.threads, "Series exported at once (0: one per core)");
  cmd->add_flag("--json", args->json, "Print the run summary as JSON");
}

}  // namespace dicomlake::cli
