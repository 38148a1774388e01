// `dicomlake gold <lake>`: silver -> OMOP CDM person, procedure_occurrence, image_occurrence.
#include <cstdio>
#include <iostream>

#include "cli.h"
#include "pipeline/gold_stage.h"

namespace dicomlake::cli {

void RegisterGold(CLI::App& app, GlobalOptions& global, int* exit_code) {
  auto* cmd =
      app.add_subcommand("gold",
                         "Update the OMOP CDM tables gold.person, gold.procedure_occurrence and "
                         "gold.image_occurrence (OHDSI medical imaging extension) from silver");
  struct Args {
    std::string lake;
    bool json = false;
  };
  auto args = std::make_shared<Args>();
  cmd->add_option("lake", args->lake, "Folder of the lake")->required();
  cmd->add_flag("--json", args->json, "Print the run summary as JSON");
  cmd->callback([&global, exit_code, args] {
    auto session = OpenSession(args->lake, global, {}, exit_code);
    if (!session.ok()) {
      *exit_code = Fail(session.status(), *exit_code);
      return;
    }
    auto summary = pipeline::RunGold(*session->lake, *session->engine, session->config);
    if (!summary.ok()) {
      *exit_code =
          Fail(summary.status(),
               summary.status().code() == StatusCode::kInvalidArgument ? kExitUsage : kExitFailed);
      return;
    }
    if (args->json) {
      std::cout << summary->ToJson() << "\n";
    } else if (!global.quiet) {
      std::printf(
          "gold run %s: %lld changed studies, %lld changed patients -> %lld person, %lld "
          "procedure_occurrence, %lld image_occurrence rows written; %lld left out (see "
          "admin.BusinessEvents), %.1f s\n",
          summary->run_id.c_str(), static_cast<long long>(summary->studies_read),
          static_cast<long long>(summary->patients_read), static_cast<long long>(summary->persons),
          static_cast<long long>(summary->procedures), static_cast<long long>(summary->images),
          static_cast<long long>(summary->skipped), summary->elapsed_seconds);
    }
    *exit_code = kExitOk;
  });
}

}  // namespace dicomlake::cli
