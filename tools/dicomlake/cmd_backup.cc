// `dicomlake backup LAKE --to DEST`: an incremental, consistent copy of the lake that is itself a
// working lake (pipeline/backup_stage.h; docs/lifecycle.md). Exit 6 when a stored original's copy
// did not match its recorded hash (it is not backed up; the rest is).
#include <unistd.h>

#include <cstdio>

#include "cli.h"
#include "pipeline/backup_stage.h"

namespace dicomlake::cli {

void RegisterBackup(CLI::App& app, GlobalOptions& global, int* exit_code) {
  struct Args {
    pipeline::BackupRequest request;
    bool json = false;
  };
  auto args = std::make_shared<Args>();
  auto body = [&global, args](Session& session) -> Result<int> {
    bool terminal = !global.quiet && !args->json && isatty(STDERR_FILENO);
    ProgressBar bar("files");
    if (terminal) args->request.progress = [&bar](int64_t d, int64_t n) { bar.Update(d, n); };
    DL_ASSIGN_OR_RETURN(
        pipeline::BackupSummary s,
        pipeline::RunBackup(*session.lake, *session.engine, session.config, args->request));
    if (terminal) bar.Finish();
    if (args->json) {
      std::printf("%s\n", s.ToJson().c_str());
    } else if (!global.quiet || !s.ok()) {
      std::printf(
          "backup run %s to %s: %lld of %lld files copied (%.1f MB; %lld data files, %lld log "
          "entries; %lld instances of stored originals hash-checked), %zu tables; %zu problems; "
          "%.1f s\n",
          s.run_id.c_str(), s.to.c_str(), static_cast<long long>(s.files_copied),
          static_cast<long long>(s.files_considered), static_cast<double>(s.bytes_copied) / 1e6,
          static_cast<long long>(s.data_files_copied), static_cast<long long>(s.log_entries_copied),
          static_cast<long long>(s.originals_checked), s.versions.size(), s.problems.size(),
          s.elapsed_seconds);
      for (const auto& t : s.replaced) {
        std::printf("  %s: the copy had recorded its own runs; replaced by the lake's\n",
                    t.c_str());
      }
      for (const auto& p : s.problems) {
        std::printf("  %s: %s%s%s: %s\n", p.state.c_str(), p.path.c_str(),
                    p.member.empty() ? "" : " ! ", p.member.c_str(), p.detail.c_str());
      }
    }
    return s.ok() ? kExitOk : kExitCorrupt;
  };
  auto* cmd = AddLakeCommand(app, "backup",
                             "Copy the lake, consistently and incrementally, to another folder "
                             "(the copy is a working lake)",
                             global, exit_code, body);
  cmd->add_option("--to", args->request.to,
                  "The backup folder: absent, empty, or an earlier backup of this lake")
      ->required();
  cmd->add_option("--threads", args->request.threads, "Files copied at once (0: one per core)");
  cmd->add_flag("--json", args->json, "Print the run summary as JSON");
}

}  // namespace dicomlake::cli
