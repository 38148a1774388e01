// `dicomlake gold <lake>`: silver -> OMOP CDM person, procedure_occurrence, image_occurrence.
#include <cstdio>

#include "cli.h"
#include "pipeline/gold_stage.h"

namespace dicomlake::cli {

void RegisterGold(CLI::App& app, GlobalOptions& global, int* exit_code) {
  AddStageCommand<pipeline::GoldSummary>(
      app, "gold",
      "Update the OMOP CDM tables gold.person, gold.procedure_occurrence and "
      "gold.image_occurrence (OHDSI medical imaging extension) from silver",
      global, exit_code,
      [](Session& session, bool) {
        return pipeline::RunGold(*session.lake, *session.engine, session.config);
      },
      [](const pipeline::GoldSummary& s) {
        std::printf(
            "gold run %s: %lld changed studies, %lld changed patients -> %lld person, %lld "
            "procedure_occurrence, %lld image_occurrence rows written; %lld left out (see "
            "admin.BusinessEvents), %.1f s\n",
            s.run_id.c_str(), static_cast<long long>(s.studies_read),
            static_cast<long long>(s.patients_read), static_cast<long long>(s.persons),
            static_cast<long long>(s.procedures), static_cast<long long>(s.images),
            static_cast<long long>(s.skipped), s.elapsed_seconds);
      });
}

}  // namespace dicomlake::cli
