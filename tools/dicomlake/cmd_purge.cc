// `dicomlake purge LAKE bronze [--before DATE] [--dry-run]`: removes the bronze ImagingDicom rows
// already carried into FHIR and silver, keeping a compact record of each so deduplication, the
// originals and the FHIR rebuild keep working (pipeline/purge_stage.h; docs/lifecycle.md).
#include <cstdio>

#include "cli.h"
#include "common/time_util.h"
#include "pipeline/purge_stage.h"

namespace dicomlake::cli {

void RegisterPurge(CLI::App& app, GlobalOptions& global, int* exit_code) {
  struct Args {
    std::string target, before;
    pipeline::PurgeRequest request;
    bool json = false;
  };
  auto args = std::make_shared<Args>();
  auto body = [&global, args](Session& session) -> Result<int> {
    if (!args->before.empty()) {
      args->request.before_us = ParseTimestampIso(args->before);
      if (!args->request.before_us) {
        return InvalidArgument("--before: not a date or time: " + args->before +
                               " (YYYY-MM-DD, optionally THH:MM[:SS] and Z or +HH:MM)");
      }
    }
    DL_ASSIGN_OR_RETURN(
        pipeline::PurgeSummary s,
        pipeline::RunPurge(*session.lake, *session.engine, session.config, args->request));
    if (args->json) {
      std::printf("%s\n", s.ToJson().c_str());
    } else if (!global.quiet) {
      if (!s.reason.empty()) {
        std::printf("purge run %s: nothing to purge: %s\n", s.run_id.c_str(), s.reason.c_str());
      } else if (s.dry_run) {
        std::printf(
            "purge run %s (dry run): %lld bronze rows would be purged (consumed up to "
            "version %lld), %lld kept\n",
            s.run_id.c_str(), static_cast<long long>(s.rows_purged),
            static_cast<long long>(s.consumed_version), static_cast<long long>(s.rows_kept));
      } else {
        std::printf(
            "purge run %s: %lld bronze rows purged (consumed up to version %lld; bronze "
            "version %lld), %lld kept; records in admin.PurgedInstances; their data files "
            "are deleted by `dicomlake vacuum` after the retention period; %.1f s\n",
            s.run_id.c_str(), static_cast<long long>(s.rows_purged),
            static_cast<long long>(s.consumed_version), static_cast<long long>(s.bronze_version),
            static_cast<long long>(s.rows_kept), s.elapsed_seconds);
      }
    }
    return kExitOk;
  };
  auto* cmd = AddLakeCommand(app, "purge",
                             "Remove bronze ImagingDicom rows already carried into FHIR and "
                             "silver (a compact record of each is kept)",
                             global, exit_code, body);
  cmd->add_option("lakehouse", args->target, "What to purge: bronze (its ImagingDicom rows)")
      ->required()
      ->check(CLI::IsMember({"bronze"}));
  cmd->add_option("--before", args->before,
                  "Only rows ingested before this date or time (YYYY-MM-DD[THH:MM[:SS]][Z])");
  cmd->add_flag("--dry-run", args->request.dry_run, "Say how many rows would go; change nothing");
  cmd->add_flag("--json", args->json, "Print the run summary as JSON");
}

}  // namespace dicomlake::cli
