// `dicomlake fhir <lake>`: bronze ImagingDicom -> FHIR R4 ImagingStudy bulk NDJSON.
#include <cstdio>
#include <iostream>

#include "cli.h"
#include "pipeline/fhir_stage.h"

namespace dicomlake::cli {

void RegisterFhir(CLI::App& app, GlobalOptions& global, int* exit_code) {
  struct Args {
    std::string name_space;
    bool json = false, rebuild = false;
  };
  auto args = std::make_shared<Args>();
  auto body = [&global, args](Session& session) -> Result<int> {
    pipeline::FhirOptions options;
    options.only_namespace = args->name_space;
    options.rebuild = args->rebuild;
    DL_ASSIGN_OR_RETURN(auto summary,
                        pipeline::RunFhir(*session.lake, *session.engine, session.config, options));
    if (args->json) {
      std::cout << summary.ToJson() << "\n";
    } else if (!global.quiet) {
      std::printf(
          "fhir run %s: %lld ImagingStudy resources from %lld instances in %zu file(s), "
          "%lld linked to a Patient, %lld problem(s) recorded in admin.BusinessEvents, "
          "%.1f s\n",
          summary.run_id.c_str(), static_cast<long long>(summary.studies_written),
          static_cast<long long>(summary.instances_read), summary.files.size(),
          static_cast<long long>(summary.studies_linked), static_cast<long long>(summary.problems),
          summary.elapsed_seconds);
    }
    return kExitOk;
  };
  auto* cmd = AddLakeCommand(app, "fhir",
                             "Write FHIR R4 ImagingStudy NDJSON for the studies that changed in "
                             "bronze (bronze/Files/Process/Clinical/FHIR-NDJSON/<namespace>/"
                             "YYYY/MM/DD/)",
                             global, exit_code, body);
  cmd->add_option("--namespace", args->name_space, "Only the studies of this namespace");
  cmd->add_flag("--rebuild", args->rebuild, "Write every study again, not only changed ones");
  cmd->add_flag("--json", args->json, "Print the run summary as JSON");
}

}  // namespace dicomlake::cli
