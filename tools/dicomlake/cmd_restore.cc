// `dicomlake restore LAKE (--sql Q | --study UID | --series UID | --patient ID)... --to DIR
// [--layout original|study]`: the cohort's original files back, bit-exact, each checked against
// its bronze contentHash (pipeline/restore_stage.h; docs/lifecycle.md). Exit 3 when some copies
// are missing or damaged (the rest are restored).
#include <unistd.h>

#include <cstdio>

#include "cli.h"
#include "cohort_options.h"
#include "pipeline/restore_stage.h"

namespace dicomlake::cli {

void RegisterRestore(CLI::App& app, GlobalOptions& global, int* exit_code) {
  struct Args {
    pipeline::RestoreRequest request;
    std::string layout = "original";
    bool json = false;
  };
  auto args = std::make_shared<Args>();
  auto body = [&global, args](Session& session) -> Result<int> {
    DL_ASSIGN_OR_RETURN(args->request.layout, pipeline::ParseRestoreLayout(args->layout));
    bool terminal = !global.quiet && !args->json && isatty(STDERR_FILENO);
    ProgressBar bar("instances");
    if (terminal) args->request.progress = [&bar](int64_t d, int64_t n) { bar.Update(d, n); };
    DL_ASSIGN_OR_RETURN(
        pipeline::RestoreSummary s,
        pipeline::RunRestore(*session.lake, *session.engine, session.config, args->request));
    if (terminal) bar.Finish();
    if (args->json) {
      std::printf("%s\n", s.ToJson().c_str());
    } else if (!global.quiet || s.failed > 0) {
      std::printf(
          "restore run %s: %lld of %lld instances restored bit-exact (%.1f MB) to %s; %lld "
          "missing or damaged%s; %.1f s\n",
          s.run_id.c_str(), static_cast<long long>(s.restored), static_cast<long long>(s.instances),
          static_cast<double>(s.bytes) / 1e6, s.to.c_str(), static_cast<long long>(s.failed),
          s.failed > 0 ? ":" : "", s.elapsed_seconds);
      for (const auto& f : s.failures) {
        std::printf("  %s%s%s: %s\n", f.file_path.c_str(), f.archive_member.empty() ? "" : " ! ",
                    f.archive_member.c_str(), f.reason.c_str());
      }
    }
    return s.failed > 0 ? kExitInputFailures : kExitOk;
  };
  auto* cmd = AddLakeCommand(
      app, "restore",
      "Write a cohort's original files back, bit-exact (each checked against its recorded hash), "
      "under their delivered names or a study/series layout",
      global, exit_code, body);
  AddCohortOptions(cmd, &args->request);
  cmd->add_option("--to", args->request.to, "Output folder (created if needed)")->required();
  cmd->add_option("--layout", args->layout,
                  "original (default): <namespace>/<delivered path>; study: "
                  "<patient>/<study>/<series>/<sop>.dcm")
      ->check(CLI::IsMember({"original", "study"}));
  cmd->add_option("--threads", args->request.threads, "Series restored at once (0: one per core)");
  cmd->add_flag("--include-deleted", args->request.include_deleted,
                "Also the instances `dicomlake delete` marked deleted (not erased)");
  cmd->add_flag("--json", args->json, "Print the run summary as JSON");
}

}  // namespace dicomlake::cli
