// `dicomlake silver <lake>`: ImagingMetastore from bronze, ImagingStudy and Patient from FHIR
// NDJSON, and the links between them. Exit 3 when some NDJSON lines could not be read.
#include <cstdio>
#include <iostream>

#include "cli.h"
#include "pipeline/silver_stage.h"

namespace dicomlake::cli {

void RegisterSilver(CLI::App& app, GlobalOptions& global, int* exit_code) {
  auto json = std::make_shared<bool>(false);
  auto body = [&global, json](Session& session) -> Result<int> {
    DL_ASSIGN_OR_RETURN(auto summary,
                        pipeline::RunSilver(*session.lake, *session.engine, session.config));
    if (*json) {
      std::cout << summary.ToJson() << "\n";
    } else if (!global.quiet) {
      std::printf(
          "silver run %s: %lld metastore rows, %lld NDJSON file(s): %lld ImagingStudy, "
          "%lld Patient, %lld other resources; %lld studies linked to a Patient; %lld "
          "failed, %.1f s\n",
          summary.run_id.c_str(), static_cast<long long>(summary.metastore_rows),
          static_cast<long long>(summary.ndjson_files),
          static_cast<long long>(summary.imaging_studies), static_cast<long long>(summary.patients),
          static_cast<long long>(summary.other_resources),
          static_cast<long long>(summary.studies_linked), static_cast<long long>(summary.failed),
          summary.elapsed_seconds);
      for (const auto& f : summary.failures)
        std::printf("  failed: %s: %s\n", f.path.c_str(), f.reason.c_str());
    }
    return summary.failed > 0 ? kExitInputFailures : kExitOk;
  };
  auto* cmd = AddLakeCommand(
      app, "silver",
      "Update silver ImagingMetastore, ImagingStudy and Patient (clinical FHIR NDJSON dropped in "
      "bronze/Files/Ingest/Clinical/FHIR-NDJSON/<namespace>/)",
      global, exit_code, body);
  cmd->add_flag("--json", *json, "Print the run summary as JSON");
}

}  // namespace dicomlake::cli
