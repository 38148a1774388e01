// `dicomlake fhir <lake>`: bronze ImagingDicom -> FHIR R4 ImagingStudy bulk NDJSON.
#include <cstdio>

#include "cli.h"
#include "pipeline/fhir_stage.h"

namespace dicomlake::cli {

void RegisterFhir(CLI::App& app, GlobalOptions& global, int* exit_code) {
  auto options = std::make_shared<pipeline::FhirOptions>();
  auto* cmd = AddStageCommand<pipeline::FhirSummary>(
      app, "fhir",
      "Write FHIR R4 ImagingStudy NDJSON for the studies that changed in bronze "
      "(bronze/Files/Process/Clinical/FHIR-NDJSON/<namespace>/YYYY/MM/DD/)",
      global, exit_code,
      [options](Session& session, bool) {
        return pipeline::RunFhir(*session.lake, *session.engine, session.config, *options);
      },
      [](const pipeline::FhirSummary& s) {
        std::printf(
            "fhir run %s: %lld ImagingStudy resources from %lld instances in %zu file(s), "
            "%lld linked to a Patient, %lld problem(s) recorded in admin.BusinessEvents, "
            "%.1f s\n",
            s.run_id.c_str(), static_cast<long long>(s.studies_written),
            static_cast<long long>(s.instances_read), s.files.size(),
            static_cast<long long>(s.studies_linked), static_cast<long long>(s.problems),
            s.elapsed_seconds);
      });
  cmd->add_option("--namespace", options->only_namespace, "Only the studies of this namespace");
  cmd->add_flag("--rebuild", options->rebuild, "Write every study again, not only changed ones");
}

}  // namespace dicomlake::cli
