#include "cohort_options.h"

namespace dicomlake::cli {

void AddCohortOptions(CLI::App* cmd, pipeline::CohortRequest* request) {
  cmd->add_option("--sql", request->sql,
                  "Cohort query; its first column holds Series Instance UIDs (e.g. "
                  "gold.image_occurrence.image_series_uid), Study Instance UIDs or Patient IDs, "
                  "by its name");
  cmd->add_option("--study", request->studies, "Study Instance UID (repeatable)");
  cmd->add_option("--series", request->series, "Series Instance UID (repeatable)");
  cmd->add_option("--patient", request->patients, "Patient ID (repeatable)");
}

}  // namespace dicomlake::cli
