// `dicomlake silver <lake>`: ImagingMetastore from bronze, ImagingStudy and Patient from FHIR
// NDJSON, and the links between them. Exit 3 when some NDJSON lines could not be read.
#include <cstdio>

#include "cli.h"
#include "pipeline/silver_stage.h"

namespace dicomlake::cli {

void RegisterSilver(CLI::App& app, GlobalOptions& global, int* exit_code) {
  AddStageCommand<pipeline::SilverSummary>(
      app, "silver",
      "Update silver ImagingMetastore, ImagingStudy and Patient (clinical FHIR NDJSON dropped in "
      "bronze/Files/Ingest/Clinical/FHIR-NDJSON/<namespace>/)",
      global, exit_code,
      [](Session& session, bool) {
        return pipeline::RunSilver(*session.lake, *session.engine, session.config);
      },
      [](const pipeline::SilverSummary& s) {
        std::printf(
            "silver run %s: %lld metastore rows, %lld NDJSON file(s): %lld ImagingStudy, "
            "%lld Patient, %lld other resources; %lld studies linked to a Patient; %lld "
            "failed, %.1f s\n",
            s.run_id.c_str(), static_cast<long long>(s.metastore_rows),
            static_cast<long long>(s.ndjson_files), static_cast<long long>(s.imaging_studies),
            static_cast<long long>(s.patients), static_cast<long long>(s.other_resources),
            static_cast<long long>(s.studies_linked), static_cast<long long>(s.failed),
            s.elapsed_seconds);
        for (const auto& f : s.failures)
          std::printf("  failed: %s: %s\n", f.path.c_str(), f.reason.c_str());
      });
}

}  // namespace dicomlake::cli
