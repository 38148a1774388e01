// `dicomlake migrate LAKE [--from OLD_ROOT]... [--dry-run]`: brings a lake written by an earlier
// dicomlake to the current format: paths under the lake stored relative to its root, so it works
// wherever it is moved or copied (pipeline/migrate_stage.h; docs/lifecycle.md).
#include <cstdio>

#include "cli.h"
#include "pipeline/migrate_stage.h"

namespace dicomlake::cli {

void RegisterMigrate(CLI::App& app, GlobalOptions& global, int* exit_code) {
  struct Args {
    pipeline::MigrateRequest request;
    bool json = false;
  };
  auto args = std::make_shared<Args>();
  auto body = [&global, args](Session& session) -> Result<int> {
    DL_ASSIGN_OR_RETURN(
        pipeline::MigrateSummary s,
        pipeline::RunMigrate(*session.lake, *session.engine, session.config, args->request));
    if (args->json) {
      std::printf("%s\n", s.ToJson().c_str());
      return kExitOk;
    }
    if (global.quiet) return kExitOk;
    if (s.tables.empty()) {
      std::printf(
          "migrate run %s: nothing to migrate: every path under the lake is already "
          "stored relative to its root\n",
          s.run_id.c_str());
      return kExitOk;
    }
    std::printf("migrate run %s%s: paths under", s.run_id.c_str(), s.dry_run ? " (dry run)" : "");
    for (size_t i = 0; i < s.former_roots.size(); ++i)
      std::printf("%s %s", i ? "," : "", s.former_roots[i].c_str());
    std::printf(" %s relative to the lake root in:\n", s.dry_run ? "would be made" : "made");
    for (const auto& t : s.tables) {
      if (s.dry_run) {
        std::printf("  %s: %lld rows\n", t.table.c_str(), static_cast<long long>(t.rows));
      } else {
        std::printf("  %s: %lld rows (version %lld)\n", t.table.c_str(),
                    static_cast<long long>(t.rows), static_cast<long long>(t.version));
      }
    }
    std::printf("%.1f s\n", s.elapsed_seconds);
    return kExitOk;
  };
  auto* cmd = AddLakeCommand(app, "migrate",
                             "Bring a lake written by an earlier dicomlake to the current "
                             "format (paths stored relative to the lake root, so it can move)",
                             global, exit_code, body);
  cmd->add_option("--from", args->request.former_roots,
                  "A folder the lake was at before it was moved (repeatable; those its stored "
                  "paths show are found without it)");
  cmd->add_flag("--dry-run", args->request.dry_run, "Say what would change; change nothing");
  cmd->add_flag("--json", args->json, "Print the run summary as JSON");
}

}  // namespace dicomlake::cli
