// Restore (`dicomlake restore`, issue 15; docs/lifecycle.md): a cohort's original files written
// back bit-exact from wherever the lake stores them (Process one-entry ZIPs, stored archives'
// members, BYOS paths), each checked against its bronze contentHash (XXH3-128) before it is
// given its name. A missing or damaged copy is reported per file (a BusinessEvents row and the
// summary); the rest are still restored.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "pipeline/cohort.h"
#include "pipeline/stage.h"

namespace dicomlake::pipeline {

inline constexpr const char* kRestoreActivity = "imaging_restore";

enum class RestoreLayout {
  // <to>/<namespace>/<the path it was delivered under, below the namespace's drop folder>; a
  // member of a delivered archive under <archive path without its extension>/<member>.
  kOriginal,
  // <to>/<PatientID>/<StudyInstanceUID>/<SeriesInstanceUID>/<SOPInstanceUID>.dcm
  kStudy,
};
// "original", "study"; anything else is kInvalidArgument.
Result<RestoreLayout> ParseRestoreLayout(const std::string& name);

struct RestoreRequest : CohortRequest {
  std::string to;  // the output folder (created)
  RestoreLayout layout = RestoreLayout::kOriginal;
  int threads = 0;  // series at once; 0: one per core
  // Called after each series with (instances done, instances in all), one thread at a time.
  std::function<void(int64_t, int64_t)> progress;
};

struct RestoreFailure {
  std::string sop_instance_uid, file_path, archive_member, reason;
};

struct RestoreSummary : StageSummary {
  int64_t instances = 0;  // selected
  int64_t restored = 0;   // written, hash equal to contentHash
  int64_t bytes = 0;      // bytes restored
  int64_t failed = 0;     // missing or damaged copies
  std::vector<RestoreFailure> failures;
  std::string to;
  std::string ToJson() const;
};

Result<RestoreSummary> RunRestore(const lake::Lake& lake, lake::Engine& engine,
                                  const config::Config& config, const RestoreRequest& request);

// Where an instance goes under `to` in `layout` (a relative path), from its bronze row.
std::string RestorePath(const CohortSeries& series, const CohortInstance& instance,
                        RestoreLayout layout);

}  // namespace dicomlake::pipeline
