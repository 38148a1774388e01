// `dicomlake silver <lake>`: ImagingMetastore from bronze, ImagingStudy and Patient from FHIR
// NDJSON, and the links between them. Exit 3 when some NDJSON lines could not be read.
#include <cstdio>
#include <iostream>

#include "cli.h"
#include "pipeline/silver_stage.h"

namespace dicomlake::cli {

void RegisterSilver(CLI::App& app, GlobalOptions& global, int* exit_code) {
  auto* cmd = app.add_subcommand(
      "silver",
      "Update silver ImagingMetastore, ImagingStudy and Patient (clinical FHIR NDJSON dropped in "
      "bronze/Files/Ingest/Clinical/FHIR-NDJSON/<namespace>/)");
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
    auto summary = pipeline::RunSilver(*session->lake, *session->engine, session->config);
    if (!summary.ok()) {
      *exit_code = Fail(summary.status());
      return;
    }
    if (args->json) {
      std::cout << summary->ToJson() << "\n";
    } else if (!global.quiet) {
      std::printf(
          "silver run %s: %lld metastore rows, %lld NDJSON file(s): %lld ImagingStudy, "
          "%lld Patient, %lld other resources; %lld studies linked to a Patient; %lld "
          "failed, %.1f s\n",
          summary->run_id.c_str(), static_cast<long long>(summary->metastore_rows),
          static_cast<long long>(summary->ndjson_files),
          static_cast<long long>(summary->imaging_studies),
          static_cast<long long>(summary->patients),
          static_cast<long long>(summary->other_resources),
          static_cast<long long>(summary->studies_linked), static_cast<long long>(summary->failed),
          summary->elapsed_seconds);
      for (const auto& f : summary->failures)
        std::printf("  failed: %s: %s\n", f.path.c_str(), f.reason.c_str());
    }
    *exit_code = summary->failed > 0 ? kExitInputFailures : kExitOk;
  });
}

}  // namespace dicomlake::cli
