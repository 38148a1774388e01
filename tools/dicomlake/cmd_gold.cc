// `dicomlake gold <lake>`: silver -> OMOP CDM person, procedure_occurrence, image_occurrence.
#include <cstdio>
#include <iostream>

#include "cli.h"
#include "pipeline/gold_stage.h"

namespace dicomlake::cli {

void RegisterGold(CLI::App& app, GlobalOptions& global, int* exit_code) {
  auto json = std::make_shared<bool>(false);
  auto body = [&global, json](Session& session) -> Result<int> {
    DL_ASSIGN_OR_RETURN(auto summary,
                        pipeline::RunGold(*session.lake, *session.engine, session.config));
    if (*json) {
      std::cout << summary.ToJson() << "\n";
    } else if (!global.quiet) {
      std::printf(
          "gold run %s: %lld changed studies, %lld changed patients -> %lld person, %lld "
          "procedure_occurrence, %lld image_occurrence rows written; %lld left out (see "
          "admin.BusinessEvents), %.1f s\n",
          summary.run_id.c_str(), static_cast<long long>(summary.studies_read),
          static_cast<long long>(summary.patients_read), static_cast<long long>(summary.persons),
          static_cast<long long>(summary.procedures), static_cast<long long>(summary.images),
          static_cast<long long>(summary.skipped), summary.elapsed_seconds);
    }
    return kExitOk;
  };
  auto* cmd = AddLakeCommand(app, "gold",
                             "Update the OMOP CDM tables gold.person, gold.procedure_occurrence "
                             "and gold.image_occurrence (OHDSI medical imaging extension) from "
                             "silver",
                             global, exit_code, body);
  cmd->add_flag("--json", *json, "Print the run summary as JSON");
}

}  // namespace dicomlake::cli
