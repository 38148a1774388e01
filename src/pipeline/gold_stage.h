// The gold stage (`dicomlake gold`, ARCHITECTURE section 3; docs/omop.md): silver ImagingStudy,
// Patient and ImagingMetastore -> OMOP CDM 5.4 person and procedure_occurrence and MI-CDM
// image_occurrence, with stable integer ids (gold.omop_id_mapping).
//
// The mapping is omop::UpdateGold (src/omop); this is the stage around it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "omop/gold_mapping.h"
#include "pipeline/stage.h"

namespace dicomlake::pipeline {

inline constexpr const char* kGoldActivity = "omop_gold_transformation";

// The counts of omop::UpdateGold and the run.
struct GoldSummary : StageSummary, omop::GoldCounts {
  std::string ToJson() const;
};

Result<GoldSummary> RunGold(const lake::Lake& lake, lake::Engine& engine,
                            const config::Config& config);

}  // namespace dicomlake::pipeline
