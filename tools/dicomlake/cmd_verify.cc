// `dicomlake verify LAKE [--sample PERCENT]`: fixity. Stored originals re-read and checked
// against their recorded hashes, every Delta data file checked to exist with its recorded size
// (pipeline/verify_stage.h; docs/lifecycle.md). Exit 6 when anything is missing, corrupt or
// changed.
#include <unistd.h>

#include <cstdio>

#include "cli.h"
#include "pipeline/verify_stage.h"

namespace dicomlake::cli {

void RegisterVerify(CLI::App& app, GlobalOptions& global, int* exit_code) {
  struct Args {
    pipeline::VerifyRequest request;
    bool json = false;
  };
  auto args = std::make_shared<Args>();
  auto body = [&global, args](Session& session) -> Result<int> {
    bool terminal = !global.quiet && !args->json && isatty(STDERR_FILENO);
    ProgressBar bar("stored files");
    if (terminal) args->request.progress = [&bar](int64_t d, int64_t n) { bar.Update(d, n); };
    DL_ASSIGN_OR_RETURN(
        pipeline::VerifySummary s,
        pipeline::RunVerify(*session.lake, *session.engine, session.config, args->request));
    if (terminal) bar.Finish();
    if (args->json) {
      std::printf("%s\n", s.ToJson().c_str());
    } else if (!global.quiet || !s.ok()) {
      std::printf(
          "verify run %s: %lld stored originals re-read (%.1f MB): %lld missing, %lld corrupt, "
          "%lld changed in place; %lld data files of %lld tables: %lld missing, %lld of another "
          "size; %.1f s\n",
          s.run_id.c_str(), static_cast<long long>(s.originals_checked),
          static_cast<double>(s.bytes_read) / 1e6, static_cast<long long>(s.missing),
          static_cast<long long>(s.corrupt), static_cast<long long>(s.changed_in_place),
          static_cast<long long>(s.data_files_checked), static_cast<long long>(s.tables_checked),
          static_cast<long long>(s.data_files_missing), static_cast<long long>(s.data_files_wrong),
          s.elapsed_seconds);
      bool moved = false;  // a lake of dicomlake 0.1 (absolute paths) moved elsewhere
      for (const auto& p : s.problems) {
        std::printf("  %s: %s%s%s: %s\n", p.state.c_str(), p.path.c_str(),
                    p.member.empty() ? "" : " ! ", p.member.c_str(), p.detail.c_str());
        moved =
            moved || (p.state == "missing" && p.path.rfind(session.lake->root() + "/", 0) != 0 &&
                      p.path.find("/bronze/Files/Process/") != std::string::npos);
      }
      if (moved) {
        std::printf(
            "hint: these paths are where the lake was before it was moved; `dicomlake migrate "
            "%s` makes them relative to the lake (docs/lifecycle.md)\n",
            session.lake->root().c_str());
      }
    }
    return s.ok() ? kExitOk : kExitCorrupt;
  };
  auto* cmd = AddLakeCommand(app, "verify",
                             "Check fixity: re-read stored originals against their recorded "
                             "hashes and check every Delta data file exists with its size",
                             global, exit_code, body);
  cmd->add_option("--sample", args->request.sample_percent,
                  "Percent of the stored originals to re-read (chosen by SOP Instance UID, the "
                  "same on every run; default 100)");
  cmd->add_option("--threads", args->request.threads, "Files read at once (0: one per core)");
  cmd->add_flag("--json", args->json, "Print the run summary as JSON");
}

}  // namespace dicomlake::cli
