// The gold stage (`dicomlake gold`, ARCHITECTURE section 3; docs/omop.md): silver ImagingStudy,
// Patient and ImagingMetastore -> OMOP CDM 5.4 person and procedure_occurrence and MI-CDM
// image_occurrence, with stable integer ids (gold.omop_id_mapping).
//
// The mapping is omop::UpdateGold (src/omop); this is the stage around it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"

namespace dicomlake::config {
class Config;
}
namespace dicomlake::lake {
class Engine;
class Lake;
}  // namespace dicomlake::lake

namespace dicomlake::pipeline {

inline constexpr const char* kGoldActivity = "omop_gold_transformation";

struct GoldSummary {
  std::string run_id;
  int64_t studies_read = 0;   // changed silver ImagingStudy rows
  int64_t patients_read = 0;  // changed silver Patient rows
  int64_t persons = 0;        // person rows written (new or changed)
  int64_t procedures = 0;     // procedure_occurrence rows written
  int64_t images = 0;         // image_occurrence rows written
  int64_t skipped = 0;        // records OMOP cannot take (no birth year, no date, no UID)
  int64_t athena_overrides = 0;
  double elapsed_seconds = 0;

  std::string ToJson() const;
};

Result<GoldSummary> RunGold(const lake::Lake& lake, lake::Engine& engine,
                            const config::Config& config);

}  // namespace dicomlake::pipeline
